"""An audio and video player for the preview pane, and a chooser of a time range to search with.

:class:`MediaPlayer` wraps a ``QMediaPlayer`` (the FFmpeg backend) with play/pause, a position
slider with times and, for videos, a video surface. :meth:`MediaPlayer.cue` loads a file and
seeks to a start time once the media is loaded (a seek asked while it loads may be lost).

Sound goes to a ``QAudioOutput`` only while the system has an output device: without one,
Qt warns "No audio device detected" on every play, and the player's own clock still runs the
position and the video. Asking Qt for the devices at all makes its PulseAudio backend warn once
per process where no sound server runs ("PulseAudioService: pa_context_connect() failed");
there is no way to ask without it, so it is asked late, on the first file played.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QValidator
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer
from PySide6.QtMultimediaWidgets import QVideoWidget
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.results import clock

Status = QMediaPlayer.MediaStatus
State = QMediaPlayer.PlaybackState
Pixmap = QStyle.StandardPixmap

AROUND_SECONDS = 5.0  # a range chosen around the playhead reaches this far each way
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(?:(\d+):)?(\d+(?:[.,]\d*)?)?\s*$")
_CLOCK_PREFIX = re.compile(r"[\d:.,\s]*")


def parse_clock(text: str) -> float | None:
    """Seconds from ``1:02:03.5``, ``2:03``, ``75`` or ``75.5``; None for anything else."""
    found = _CLOCK.match(text)
    if found is None or not any(found.groups()):
        return None
    first, second, seconds = found.groups()
    hours, minutes = (first, second) if second is not None else (None, first)
    return (
        int(hours or 0) * 3600 + int(minutes or 0) * 60 + float((seconds or "0").replace(",", "."))
    )


def clock_tenths(seconds: float) -> str:
    """``clock`` with tenths of a second: ``0:07.5``."""
    tenths = round(seconds * 10)
    return f"{clock(tenths // 10)}.{tenths % 10}"


class TimeBox(QDoubleSpinBox):
    """Seconds shown and typed as ``m:ss.s`` (plain seconds are read too)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(1)
        self.setSingleStep(1.0)
        self.setMaximum(0.0)
        self.setKeyboardTracking(False)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return clock_tenths(value)

    def valueFromText(self, text: str) -> float:  # noqa: N802
        seconds = parse_clock(text)
        return self.value() if seconds is None else seconds

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        # Any prefix of a clock may be typed; the value is read when editing ends.
        if parse_clock(text) is not None:
            return QValidator.State.Acceptable, text, pos
        if _CLOCK_PREFIX.fullmatch(text):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos


class RangeChooser(QWidget):
    """Start and end of a part of the file, and a button that asks to search with it."""

    chosen = Signal(float, float)  # start, end in seconds
    around_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_box = TimeBox(self)
        self.end_box = TimeBox(self)
        self.start_box.setAccessibleName(self.tr("Start of the part to search with"))
        self.end_box.setAccessibleName(self.tr("End of the part to search with"))
        self.around_button = QToolButton(self)
        self.around_button.setText(self.tr("Around here"))
        self.around_button.setAccessibleName(self.tr("Choose the part around the playhead"))
        self.around_button.setToolTip(
            self.tr("Choose from {seconds} s before to {seconds} s after the position").format(
                seconds=f"{AROUND_SECONDS:g}"
            )
        )
        self.search_button = QPushButton(self.tr("Search with this part"), self)
        self.search_button.setAccessibleName(self.tr("Search with this part"))
        self.search_button.setToolTip(self.tr("Find other files that sound or look like this part"))
        start_label = QLabel(self.tr("&From"), self)
        start_label.setBuddy(self.start_box)
        end_label = QLabel(self.tr("&to"), self)
        end_label.setBuddy(self.end_box)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (start_label, self.start_box, end_label, self.end_box):
            layout.addWidget(widget)
        layout.addWidget(self.around_button)
        layout.addStretch(1)
        layout.addWidget(self.search_button)
        self.start_box.valueChanged.connect(self._validate)
        self.end_box.valueChanged.connect(self._validate)
        self.around_button.clicked.connect(self.around_requested)
        self.search_button.clicked.connect(self._search)
        self._validate()

    def set_duration(self, seconds: float) -> None:
        """Bound both boxes by the file's length (unknown until the media is loaded)."""
        for box in (self.start_box, self.end_box):
            box.setMaximum(max(seconds, 0.0))

    def set_range(self, start: float, end: float) -> None:
        """Prefill; the boxes clamp to the duration when it is known."""
        limit = max(self.end_box.maximum(), end)
        for box in (self.start_box, self.end_box):
            box.setMaximum(limit)
        with QSignalBlocker(self.start_box), QSignalBlocker(self.end_box):
            self.start_box.setValue(max(start, 0.0))
            self.end_box.setValue(max(end, 0.0))
        self._validate()

    def range(self) -> tuple[float, float]:
        return self.start_box.value(), self.end_box.value()

    def _validate(self) -> None:
        start, end = self.range()
        self.search_button.setEnabled(end > start)

    def _search(self) -> None:
        start, end = self.range()
        if end > start:
            self.chosen.emit(start, end)


class MediaPlayer(QWidget):
    """Plays one audio or video file at a time, from a cue point; below it, the range chooser."""

    cued = Signal(float)  # the media is loaded and sits at its cue point (seconds)
    failed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = QMediaPlayer(self)
        self.audio: QAudioOutput | None = None
        self._devices: QMediaDevices | None = None
        self._cue_ms: int | None = None
        self._seeking_from_player = False

        self.video = QVideoWidget(self)
        self.video.setAccessibleName(self.tr("Video"))
        self.video.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.video.hide()
        self.player.setVideoOutput(self.video)

        self.play_button = QToolButton(self)
        self.play_button.setAccessibleName(self.tr("Play"))
        self.play_button.setToolTip(self.tr("Play"))
        self.play_button.setIcon(self.style().standardIcon(Pixmap.SP_MediaPlay))
        self.play_button.setEnabled(False)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setAccessibleName(self.tr("Position"))
        self.slider.setRange(0, 0)
        self.slider.setSingleStep(1000)
        self.slider.setPageStep(10_000)
        self.time_label = QLabel(self)
        self.time_label.setAccessibleName(self.tr("Time"))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.range = RangeChooser(self)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.video, 1)
        layout.addWidget(self.message)
        layout.addLayout(controls)
        layout.addWidget(self.range)
        layout.addStretch()  # sound only: the controls sit together at the top

        self.play_button.clicked.connect(self.toggle)
        self.slider.valueChanged.connect(self._slider_moved)
        self.player.mediaStatusChanged.connect(self._status_changed)
        self.player.playbackStateChanged.connect(self._state_changed)
        self.player.positionChanged.connect(self._position_changed)
        self.player.durationChanged.connect(self._duration_changed)
        self.player.errorOccurred.connect(self._error)
        self.range.around_requested.connect(self._range_around_playhead)
        self._show_time()

    # --- what the pane asks ------------------------------------------------------------------

    def cue(self, path: str, start: float, video: bool) -> None:
        """Load ``path`` and sit at ``start`` seconds, not playing."""
        self._ensure_audio_output()
        self.message.clear()
        self.message.hide()
        self.video.setVisible(video)
        self._cue_ms = max(0, round(start * 1000))
        self.player.stop()
        self.play_button.setEnabled(False)
        self.player.setSource(QUrl.fromLocalFile(path))

    def unload(self) -> None:
        """Stop and let go of the file (it may be moved or deleted while the pane is empty)."""
        self._cue_ms = None
        self.player.stop()
        self.player.setSource(QUrl())
        self.play_button.setEnabled(False)
        self.message.hide()

    def seek(self, seconds: float) -> None:
        self.player.setPosition(max(0, round(seconds * 1000)))

    def position_seconds(self) -> float:
        return self.player.position() / 1000

    def duration_seconds(self) -> float:
        return self.player.duration() / 1000

    def toggle(self) -> None:
        if self.player.playbackState() == State.PlayingState:
            self.player.pause()
            return
        if 0 < self.player.duration() <= self.player.position():
            self.player.setPosition(0)  # at the end: play again from the start
        self.player.play()

    # --- sound output ------------------------------------------------------------------------

    def _ensure_audio_output(self) -> None:
        if self._devices is None:
            self._devices = QMediaDevices(self)
            self._devices.audioOutputsChanged.connect(self._update_audio_output)
            self._update_audio_output()

    def _update_audio_output(self) -> None:
        """Follow the system: sound to its default output, or none while it has none."""
        if not QMediaDevices.audioOutputs():
            if self.audio is not None:
                self.player.setAudioOutput(None)  # type: ignore[arg-type]
                self.audio.deleteLater()
                self.audio = None
            return
        if self.audio is None:
            self.audio = QAudioOutput(self)
            self.player.setAudioOutput(self.audio)
        self.audio.setDevice(QMediaDevices.defaultAudioOutput())

    # --- the player's news -------------------------------------------------------------------

    def _status_changed(self, status: QMediaPlayer.MediaStatus) -> None:
        if status == Status.LoadedMedia and self._cue_ms is not None:
            self.play_button.setEnabled(True)
            self._seek_to_cue()

    def _seek_to_cue(self) -> None:
        cue = self._cue_ms or 0
        self._cue_ms = None
        self.player.setPosition(cue)
        if self.video.isVisibleTo(self):
            # Paused, not stopped: the player decodes the frame at the cue and shows it, so
            # the picture at the matched moment is there before Play (stopped shows black).
            self.player.pause()
        self.cued.emit(cue / 1000)

    def _state_changed(self, state: QMediaPlayer.PlaybackState) -> None:
        playing = state == State.PlayingState
        icon = (
            QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        )
        self.play_button.setIcon(self.style().standardIcon(icon))
        self.play_button.setAccessibleName(self.tr("Pause") if playing else self.tr("Play"))
        self.play_button.setToolTip(self.tr("Pause") if playing else self.tr("Play"))

    def _position_changed(self, position: int) -> None:
        if not self.slider.isSliderDown():
            self._seeking_from_player = True
            self.slider.setValue(position)
            self._seeking_from_player = False
        self._show_time()
        duration = self.player.duration()
        if 0 < duration <= position and self.player.playbackState() == State.PlayingState:
            # Without an audio output the FFmpeg backend keeps "playing" at the end.
            self.player.pause()

    def _duration_changed(self, duration: int) -> None:
        self.slider.setRange(0, max(duration, 0))
        if duration > 0:
            self.range.set_duration(duration / 1000)
        self._show_time()

    def _range_around_playhead(self) -> None:
        at, length = self.position_seconds(), self.duration_seconds()
        end = at + AROUND_SECONDS
        self.range.set_range(max(at - AROUND_SECONDS, 0.0), min(end, length) if length else end)

    def _slider_moved(self, value: int) -> None:
        if not self._seeking_from_player:
            self.player.setPosition(value)

    def _show_time(self) -> None:
        now, total = self.player.position() / 1000, max(self.player.duration(), 0) / 1000
        self.time_label.setText(f"{clock(now)} / {clock(total)}")

    def _error(self, _error: QMediaPlayer.Error, message: str) -> None:
        if not message:
            return
        text = self.tr("Cannot play this file: {reason}").format(reason=message)
        self.message.setText(text)
        self.message.show()
        self.play_button.setEnabled(False)
        self.failed.emit(text)
