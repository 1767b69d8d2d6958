"""The first-run welcome: what Trove does, and which folders to watch.

A page inside the main window, centred, shown once (``Preferences.welcomed``): no window of
its own. "Start" watches the ticked folders; "Just show me the demo" chooses none, and the app
then watches its demo folder. Its example searches, in the UI's language, find their files in
the demo: one click tries one there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QStandardPaths, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop.folders import pick_folder, shown

_OFFERED = (
    QStandardPaths.StandardLocation.PicturesLocation,
    QStandardPaths.StandardLocation.MusicLocation,
    QStandardPaths.StandardLocation.DocumentsLocation,
    QStandardPaths.StandardLocation.MoviesLocation,
)

# The searches the intro gives as examples, a photo and a recording of the demo folder; each
# translation must find its file there too (tests/desktop/test_welcome.py searches for them).
# The recording is the demo's memo in the UI's language (the tomato plants in English, the trip
# to the beach in Spanish, the trip to Beijing in Chinese): a search in one's own language finds
# speech in it surely, where one across languages is often under the good-match line.
# (QT_TRANSLATE_NOOP is typed as returning object: it returns its text.)
_EXAMPLES: tuple[object, ...] = (
    QT_TRANSLATE_NOOP("WelcomeDialog", "a cup of coffee"),
    QT_TRANSLATE_NOOP("WelcomeDialog", "watering the tomato plants"),
)


def example_queries() -> list[str]:
    """The intro's example searches in the UI's language, in the order the intro names them."""
    return [QCoreApplication.translate("WelcomeDialog", str(text)) for text in _EXAMPLES]


@dataclass(frozen=True)
class StandardFolder:
    label: str  # the system's own name for it ("Pictures", "Bilder"...)
    path: Path


def standard_folders() -> list[StandardFolder]:
    """This machine's Pictures, Music, Documents and Videos folders.

    Where one is not configured, Qt answers with the home folder itself; that is never offered,
    since watching all of home would take in caches, and Trove's own data folder too.
    """
    home = Path.home().resolve()
    found: list[StandardFolder] = []
    for location in _OFFERED:
        place = QStandardPaths.writableLocation(location)
        if place and Path(place).resolve() != home:
            found.append(StandardFolder(QStandardPaths.displayName(location), Path(place)))
    return found


COLUMN_WIDTH = 620  # the page's text column: lines short enough to read


class WelcomePage(QWidget):
    """Show it in the window; :attr:`answered` brings the chosen folders (empty: the demo),
    :attr:`example_chosen` an example search to run on the demo."""

    answered = Signal(list)  # list[Path]; [] for the demo
    example_chosen = Signal(str)

    def __init__(
        self, folders: Sequence[StandardFolder] | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Welcome to Trove"))
        self._demo = False
        offered = standard_folders() if folders is None else list(folders)
        self.checkboxes: list[tuple[QCheckBox, Path]] = []
        self.column = QWidget(self)
        self.column.setMaximumWidth(COLUMN_WIDTH)

        heading = QLabel(self.tr("<h2>Find anything by describing it</h2>"), self.column)
        heading.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        photo, recording = example_queries()
        intro = QLabel(
            self.tr(
                "Trove looks through your photos, recordings, videos and notes so you can find "
                "them by what they show or say: “{photo}”, “{recording}”, "
                "or a picture like this one.\n\n"
                "Everything happens on this computer. Nothing you own is sent anywhere.\n\n"
                "Which folders should Trove look through? You can search as soon as it starts; "
                "it keeps working in the background."
            ).format(photo=photo, recording=recording),
            self.column,
        )
        intro.setWordWrap(True)

        # The examples, as buttons that search the demo with them.
        self.example_buttons: list[QPushButton] = []
        examples = QHBoxLayout()
        examples.addWidget(QLabel(self.tr("Try it on the demo:"), self.column))
        for query in (photo, recording):
            button = QPushButton(self.tr("“{query}”").format(query=query), self.column)
            button.setAutoDefault(False)
            button.setAccessibleName(self.tr("Search the demo for {query}").format(query=query))
            button.clicked.connect(lambda _checked=False, text=query: self._try(text))
            examples.addWidget(button)
            self.example_buttons.append(button)
        examples.addStretch(1)

        self._folders_layout = QVBoxLayout()
        for folder in offered:
            if folder.path.is_dir():  # only what exists: a missing Music folder is no choice
                self._add_checkbox(f"{folder.label}  ({shown(folder.path)})", folder.path)

        another = QPushButton(self.tr("Add another folder…"), self.column)
        another.setAutoDefault(False)
        another.clicked.connect(self.choose_folder)

        buttons = QDialogButtonBox(self.column)
        self.start_button = buttons.addButton(
            self.tr("Start"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.demo_button = buttons.addButton(
            self.tr("Just show me the demo"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.accept)
        self.demo_button.clicked.connect(self.reject)

        column = QVBoxLayout(self.column)
        column.addWidget(heading)
        column.addWidget(intro)
        column.addLayout(examples)
        column.addSpacing(12)
        column.addLayout(self._folders_layout)
        column.addWidget(another, 0, Qt.AlignmentFlag.AlignLeft)
        column.addSpacing(12)
        column.addWidget(buttons)

        # Centred both ways in the window; scrolls where the window is too small for it.
        holder = QWidget(self)
        centred = QHBoxLayout(holder)
        centred.addStretch(1)
        centred.addWidget(self.column, 100)
        centred.addStretch(1)
        outer = QVBoxLayout()
        outer.addStretch(1)
        outer.addWidget(holder)
        outer.addStretch(1)
        frame = QWidget(self)
        frame.setLayout(outer)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(frame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._update_start()

    def _add_checkbox(self, label: str, path: Path) -> None:
        box = QCheckBox(label, self)
        box.setChecked(True)
        box.setAccessibleName(label)
        box.toggled.connect(self._update_start)
        self._folders_layout.addWidget(box)
        self.checkboxes.append((box, path))

    def _try(self, query: str) -> None:
        """An example clicked: the demo it is about, and the search."""
        self.reject()
        self.example_chosen.emit(query)

    def choose_folder(self) -> None:
        folder = pick_folder(self, self.tr("Choose a folder for Trove to look through"))
        if folder is not None:
            self.add_folder(folder)

    def add_folder(self, folder: Path) -> None:
        """Offer ``folder`` too, ticked; a folder already offered is ticked again instead."""
        for box, path in self.checkboxes:
            if path == folder:
                box.setChecked(True)
                return
        self._add_checkbox(shown(folder), folder)
        self._update_start()

    def _update_start(self) -> None:
        # Start with nothing ticked would be the demo by another name: say so by disabling it.
        self.start_button.setEnabled(any(box.isChecked() for box, _ in self.checkboxes))

    def accept(self) -> None:
        self.answered.emit(self.chosen_folders())

    def reject(self) -> None:
        """The demo, not the person's folders."""
        self._demo = True
        self.answered.emit([])

    def chosen_folders(self) -> list[Path]:
        """The ticked folders, in the order shown; none after "demo"."""
        if self._demo:
            return []
        return [path for box, path in self.checkboxes if box.isChecked()]
