"""The settings dialog: search models, the graphics chip, theme and language.

It speaks of what a person chooses ("Search models", "Use the graphics chip"); the technical
side (the model pack's folder and contents, the execution provider, threads) sits behind a
"Details" disclosure. It edits a :class:`Preferences` and hands it back; the window stores it
and applies it (the engine is reopened for new models, device or thread count; a new language
applies at once). Nothing here touches the engine.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QCollatorSortKey, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.folders import pick_folder, shown
from desktop.languages import alphabetical, is_common, language_name, spoken_by_default
from desktop.results import library_name
from desktop.settings import (
    DEVICES,
    LANGUAGES,
    MAX_THREADS,
    THEMES,
    DeviceName,
    Language,
    Preferences,
    SharedLibrary,
    Theme,
)
from engine.facade import (
    MANIFEST_NAME,
    PackError,
    available_devices,
    read_manifest,
    speech_languages,
)

# Languages are named in themselves, so a person who cannot read the current one finds theirs.
_LANGUAGE_NAMES: dict[Language, str] = {
    "system": "",  # filled in with a translated "Same as the system"
    "en": "English",
    "zh_CN": "简体中文",
    "es": "Español",
}


class PreferencesDialog(QDialog):
    """``exec()`` it; when accepted, :meth:`preferences` holds the edited values."""

    def __init__(
        self,
        preferences: Preferences,
        devices: Sequence[str] | None = None,
        parent: QWidget | None = None,
        spoken_choices: Sequence[str] | None = None,
    ) -> None:
        """``devices``: those to offer (default: this machine's); ``spoken_choices``: the
        languages the speech model knows, to name as the recordings' (default: the pack's)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Preferences"))
        self.setMinimumWidth(560)
        self._original = preferences
        offered = available_devices() if devices is None else list(devices)
        heard = speech_languages(preferences.pack) if spoken_choices is None else spoken_choices

        # Search models (a model pack): empty means "the ones that came with Trove".
        self.pack_edit = QLineEdit(shown(preferences.pack) if preferences.pack else "", self)
        self.pack_edit.setPlaceholderText(self.tr("The ones that came with Trove"))
        self.pack_edit.setAccessibleName(self.tr("Folder of the search models"))
        self.pack_edit.textChanged.connect(self._pack_edited)
        choose_pack = QPushButton(self.tr("Choose…"), self)
        choose_pack.clicked.connect(self.choose_pack)
        pack_row = QHBoxLayout()
        pack_row.addWidget(self.pack_edit, 1)
        pack_row.addWidget(choose_pack)
        self.pack_info = QLabel(self)
        self.pack_info.setWordWrap(True)

        self.device_combo = QComboBox(self)
        self.device_combo.setAccessibleName(self.tr("Device"))
        names = self._device_names()
        for device in DEVICES:
            if device in offered:
                self.device_combo.addItem(names[device], device)
            elif device == preferences.device:  # keep the stored choice visible, flagged
                self.device_combo.addItem(
                    self.tr("{device} (not available here)").format(device=names[device]), device
                )
        self._select(self.device_combo, preferences.device)
        device_help = QLabel(
            self.tr(
                "Automatic uses a graphics card when one can be used, else the processor. "
                "A graphics card needs the matching ONNX Runtime: onnxruntime-gpu for NVIDIA "
                "(CUDA), onnxruntime-directml on Windows, onnxruntime-openvino for Intel."
            ),
            self,
        )
        device_help.setWordWrap(True)
        # The plain choice: the graphics chip when there is one ("auto"), or the processor.
        self.gpu_check = QCheckBox(self.tr("Use the graphics chip"), self)
        self.gpu_check.setToolTip(
            self.tr("Faster indexing where this computer has a graphics chip Trove can use")
        )
        self.gpu_check.toggled.connect(self._gpu_toggled)
        self.device_combo.currentIndexChanged.connect(self._device_changed)
        self._device_changed()

        self.threads_spin = QSpinBox(self)
        self.threads_spin.setRange(
            0, max(os.cpu_count() or 1, min(preferences.threads, MAX_THREADS))
        )
        self.threads_spin.setSpecialValueText(self.tr("Automatic"))
        self.threads_spin.setValue(preferences.threads)
        self.threads_spin.setAccessibleName(self.tr("Threads"))

        self.theme_combo = QComboBox(self)
        self.theme_combo.setAccessibleName(self.tr("Theme"))
        theme_names: dict[Theme, str] = {
            "system": self.tr("Same as the system"),
            "light": self.tr("Light"),
            "dark": self.tr("Dark"),
        }
        for theme in THEMES:
            self.theme_combo.addItem(theme_names[theme], theme)
        self._select(self.theme_combo, preferences.theme)

        self.language_combo = QComboBox(self)
        self.language_combo.setAccessibleName(self.tr("Language"))
        for language in LANGUAGES:
            label = _LANGUAGE_NAMES[language] or self.tr("Same as the system")
            self.language_combo.addItem(label, language)
        self._select(self.language_combo, preferences.language)

        # Libraries other computers index (a NAS), searched along with this one's.
        self._shared = list(preferences.shared)
        self.shared_list = QListWidget(self)
        self.shared_list.setAccessibleName(self.tr("Shared libraries"))
        self.shared_list.setMaximumHeight(96)
        add_shared = QPushButton(self.tr("Add…"), self)
        add_shared.clicked.connect(self.add_shared)
        self.remove_shared_button = QPushButton(self.tr("Remove"), self)
        self.remove_shared_button.clicked.connect(self.remove_shared)
        self.shared_list.currentRowChanged.connect(
            lambda row: self.remove_shared_button.setEnabled(row >= 0)
        )
        shared_buttons = QVBoxLayout()
        shared_buttons.addWidget(add_shared)
        shared_buttons.addWidget(self.remove_shared_button)
        shared_buttons.addStretch(1)
        shared_row = QHBoxLayout()
        shared_row.addWidget(self.shared_list, 1)
        shared_row.addLayout(shared_buttons)
        self._list_shared()

        # The languages the recordings are in: a short clip is heard in one of them.
        self.spoken_list = QListWidget(self)
        self.spoken_list.setAccessibleName(self.tr("Languages spoken in your recordings"))
        self.spoken_list.setMaximumHeight(120)
        self.spoken_help = QLabel(
            self.tr(
                "Short recordings are heard in one of these. A recording clearly in another "
                "language is still heard in its own."
            ),
            self,
        )
        self.spoken_help.setWordWrap(True)

        form = self._form = QFormLayout()
        form.addRow(self.tr("Search models:"), pack_row)
        form.addRow("", self.gpu_check)
        form.addRow(self.tr("Theme:"), self.theme_combo)
        form.addRow(self.tr("Language:"), self.language_combo)
        form.addRow(self.tr("Spoken in your recordings:"), self.spoken_list)
        form.addRow("", self.spoken_help)
        self._list_spoken(heard, preferences.spoken or spoken_by_default())
        form.addRow(self.tr("Shared libraries:"), shared_row)

        # The technical side, folded away: what the pack holds, the provider, the threads.
        self.details_button = QToolButton(self)
        self.details_button.setText(self.tr("Details"))
        self.details_button.setAccessibleName(self.tr("Details"))
        self.details_button.setCheckable(True)
        self.details_button.setAutoRaise(True)
        self.details_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.details_button.setArrowType(Qt.ArrowType.RightArrow)
        self.details = QWidget(self)
        details_form = QFormLayout(self.details)
        details_form.setContentsMargins(0, 0, 0, 0)
        details_form.addRow(self.tr("Model pack:"), self.pack_info)
        details_form.addRow(self.tr("Device:"), self.device_combo)
        details_form.addRow("", device_help)
        details_form.addRow(self.tr("Threads:"), self.threads_spin)
        self.details.hide()
        self.details_button.toggled.connect(self._show_details)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._check_pack()

    def _show_details(self, shown_now: bool) -> None:
        self.details.setVisible(shown_now)
        arrow = Qt.ArrowType.DownArrow if shown_now else Qt.ArrowType.RightArrow
        self.details_button.setArrowType(arrow)
        self.adjustSize()

    def _gpu_toggled(self, use: bool) -> None:
        device = self.device_combo.currentData()
        if use and device == "cpu":
            self._select(self.device_combo, "auto")
        elif not use and device != "cpu":
            self._select(self.device_combo, "cpu")

    def _device_changed(self, _index: int = 0) -> None:
        """The box follows the device chosen under Details: ticked for all but the processor."""
        blocked = self.gpu_check.blockSignals(True)
        self.gpu_check.setChecked(self.device_combo.currentData() != "cpu")
        self.gpu_check.blockSignals(blocked)

    def _device_names(self) -> dict[DeviceName, str]:
        return {
            "auto": self.tr("Automatic"),
            "cpu": self.tr("Processor (CPU)"),
            "cuda": self.tr("NVIDIA graphics card (CUDA)"),
            "directml": self.tr("Graphics card (DirectML)"),
            "coreml": self.tr("Apple Neural Engine and GPU (Core ML)"),
            "openvino": self.tr("Intel (OpenVINO)"),
        }

    @staticmethod
    def _select(combo: QComboBox, value: str) -> None:
        index = combo.findData(value)
        combo.setCurrentIndex(max(index, 0))

    def choose_pack(self) -> None:
        folder = pick_folder(self, self.tr("Choose a model pack folder"))
        if folder is not None:
            self.pack_edit.setText(str(folder))

    def pack(self) -> Path | None:
        text = self.pack_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _pack_edited(self) -> None:
        """Another pack may hear other languages: the list becomes its own, ticks kept."""
        if self._check_pack():
            ticked = self.spoken() if self.spoken_list.count() else self._original.spoken
            self._list_spoken(speech_languages(self.pack()), ticked or spoken_by_default())

    def _check_pack(self) -> bool:
        """A chosen folder must hold a manifest; its models are listed (reading the manifest is
        cheap: the model files themselves are checked when the engine opens the pack). Whether
        it may be chosen."""
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        folder = self.pack()
        if folder is None:
            self.pack_info.setText(self.tr("The search models that came with Trove."))
            ok_button.setEnabled(True)
            return True
        if not (folder / MANIFEST_NAME).is_file():
            self.pack_info.setText(
                self.tr("This folder is not a model pack: it has no {name}.").format(
                    name=MANIFEST_NAME
                )
            )
            ok_button.setEnabled(False)
            self.details_button.setChecked(True)  # the reason is shown, not folded away
            return False
        try:
            manifest = read_manifest(folder)
        except PackError as error:
            self.pack_info.setText(str(error))
            ok_button.setEnabled(False)
            self.details_button.setChecked(True)
            return False
        models = ", ".join(f"{entry.id} ({entry.task.value})" for entry in manifest.models)
        self.pack_info.setText(
            self.tr("{name} {version}: {models}").format(
                name=manifest.name, version=manifest.version, models=models
            )
        )
        ok_button.setEnabled(True)
        return True

    def _list_spoken(self, codes: Sequence[str], chosen: Sequence[str]) -> None:
        """Every language the speech model knows, by name, a box each: the chosen ones first,
        then those named in the UI's language, then the rest by their own names, each part in
        the UI language's alphabetical order. A pack whose speech model detects no languages
        has nothing to choose: the rows are hidden."""
        by_name = alphabetical()

        def place(code: str) -> tuple[bool, bool, QCollatorSortKey]:
            return code not in chosen, not is_common(code), by_name(language_name(code))

        named = sorted(codes, key=place)
        self.spoken_list.clear()
        self._form.setRowVisible(self.spoken_list, bool(codes))
        self._form.setRowVisible(self.spoken_help, bool(codes))
        for code in named:
            item = QListWidgetItem(language_name(code), self.spoken_list)
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = code in chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def spoken(self) -> tuple[str, ...]:
        """The languages ticked, in the list's order (none: the window's and English)."""
        items = (self.spoken_list.item(row) for row in range(self.spoken_list.count()))
        return tuple(
            item.data(Qt.ItemDataRole.UserRole)
            for item in items
            if item.checkState() == Qt.CheckState.Checked
        )

    def _list_shared(self) -> None:
        self.shared_list.clear()
        for one in self._shared:
            where = library_name(one.uri)
            for there, here in one.folders():
                where = self.tr("{library}, its {there} as {here}").format(
                    library=where, there=there, here=shown(here)
                )
            self.shared_list.addItem(where)
        self.remove_shared_button.setEnabled(False)

    def add_shared(self) -> None:
        """Ask for a library's address and where its folder is mounted here."""
        asked = SharedLibraryDialog(self)
        if asked.exec() == QDialog.DialogCode.Accepted:
            self._shared = [one for one in self._shared if one.uri != asked.library().uri]
            self._shared.append(asked.library())
            self._list_shared()

    def remove_shared(self) -> None:
        row = self.shared_list.currentRow()
        if 0 <= row < len(self._shared):
            del self._shared[row]
            self._list_shared()

    def preferences(self) -> Preferences:
        """The values as edited (the original ones where nothing changed)."""
        return Preferences(
            pack=self.pack(),
            device=self.device_combo.currentData(),
            threads=self.threads_spin.value(),
            theme=self.theme_combo.currentData(),
            language=self.language_combo.currentData(),
            welcomed=self._original.welcomed,
            shared=tuple(self._shared),
            spoken=self._spoken_kept(),
        )

    def _spoken_kept(self) -> tuple[str, ...]:
        """What to store: what was stored while the same languages are ticked (none for the
        default ones, so that the default keeps following the window's language); else the
        ticked languages. A pack that hears no language leaves them as they were."""
        ticked, before = self.spoken(), self._original.spoken
        if not self.spoken_list.count() or set(ticked) == set(before or spoken_by_default()):
            return before  # in the order they were stored
        return ticked

    def needs_reopen(self) -> bool:
        """Whether the engine must be opened again for the edits to take effect."""
        edited, before = self.preferences(), self._original
        return (edited.pack, edited.device, edited.threads) != (
            before.pack,
            before.device,
            before.threads,
        )


class SharedLibraryDialog(QDialog):
    """A library another computer indexes: its address, and, so that its files open here,
    which of its folders is mounted where on this computer."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add a shared library"))
        self.setMinimumWidth(480)
        self.address = QLineEdit(self)
        self.address.setPlaceholderText("http://nas:19530")
        self.address.setAccessibleName(self.tr("Address"))
        self.there = QLineEdit(self)
        self.there.setPlaceholderText("/srv/photos")
        self.there.setAccessibleName(self.tr("Its folder on that computer"))
        self.here = QLineEdit(self)
        self.here.setAccessibleName(self.tr("The same folder on this computer"))
        choose_here = QPushButton(self.tr("Choose…"), self)
        choose_here.clicked.connect(self._choose_here)
        here_row = QHBoxLayout()
        here_row.addWidget(self.here, 1)
        here_row.addWidget(choose_here)
        explained = QLabel(
            self.tr(
                "Trove searches it along with this computer's files and never changes it. "
                "The computer that indexes it keeps it up to date."
            ),
            self,
        )
        explained.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("Address:"), self.address)
        form.addRow(self.tr("Its folder there:"), self.there)
        form.addRow(self.tr("The same folder here:"), here_row)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explained)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        for edit in (self.address, self.there, self.here):
            edit.textChanged.connect(self._check)
        self._check()

    def _choose_here(self) -> None:
        folder = pick_folder(self, self.tr("The same folder on this computer"))
        if folder is not None:
            self.here.setText(shown(folder))

    def _check(self) -> None:
        """OK only for an address Trove can open, and a mapping with both folders or none."""
        address = self.address.text().strip()
        reachable = address.startswith(("http://", "https://")) or address.endswith(".db")
        there, here = self.there.text().strip(), self.here.text().strip()
        mapped = (
            bool(there) == bool(here)
            and (not there or (there.startswith(("/", "\\")) or there[1:3] == ":\\"))
            and (not here or Path(here).expanduser().is_absolute())
        )
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok_button.setEnabled(reachable and mapped)

    def library(self) -> SharedLibrary:
        here = self.here.text().strip()
        return SharedLibrary(
            self.address.text().strip(),
            self.there.text().strip(),
            Path(here).expanduser() if here else None,
        )
