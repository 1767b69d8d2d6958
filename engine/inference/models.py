"""The encoders of one pack, each made on first use, all placed on one device."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from engine.inference.audio import AudioEncoder
from engine.inference.image import ImageEncoder
from engine.inference.imagetext import ImageTextEncoder
from engine.inference.ocr import TextReader
from engine.inference.providers import Placement
from engine.inference.speech import SpeechTranscriber
from engine.inference.text import TextEncoder
from engine.inference.vad import VoiceDetector
from models.manifest import Manifest, ModelEntry, PackError, Task

T = TypeVar("T")
Factory = Callable[[Manifest, ModelEntry, Placement | None], T]


class ModelSet:
    """What the engine asks for by task; ``None`` where the pack has no model for it.

    The first model of each task in the manifest is the default; ``choice`` names another by id.
    Text is the one task with several spaces: every text entry that is not another build of one
    (``alternative_to``) is a space of its own, and each text is embedded in all of them.
    Sessions open lazily, so building a ModelSet costs nothing until an encoder runs.
    """

    def __init__(
        self,
        manifest: Manifest,
        placement: Placement | None = None,
        choice: dict[Task, str] | None = None,
    ) -> None:
        self.manifest = manifest
        self.placement = placement
        self._choice = choice or {}
        self._made: dict[str, object] = {}  # by entry id
        self._lock = threading.Lock()

    def entry(self, task: Task) -> ModelEntry | None:
        if wanted := self._choice.get(task):
            return self.manifest.get(wanted)
        entries = self.manifest.by_task(task)
        return entries[0] if entries else None

    def _make(self, task: Task, factory: Factory[T]) -> T | None:
        """The encoder of the task's model, made once; ``None`` when the pack has none."""
        entry = self.entry(task)
        return None if entry is None else self._made_once(entry, factory)

    def _made_once(self, entry: ModelEntry, factory: Factory[T]) -> T:
        with self._lock:
            if entry.id not in self._made:
                self._made[entry.id] = factory(self.manifest, entry, self.placement)
            return self._made[entry.id]  # type: ignore[return-value]

    def text_entry(self) -> ModelEntry:
        """The text model's entry: every pack has one (queries and tags are embedded by it)."""
        entry = self.entry(Task.TEXT)
        if entry is None:
            raise self._no_text_model()
        return entry

    def text_entries(self) -> list[ModelEntry]:
        """One entry per text space: the default (or chosen) one first, which chunks notes,
        then the pack's other text models in manifest order (none if the pack has none)."""
        first = self.entry(Task.TEXT)
        if first is None:
            return []
        taken = {first.id, first.alternative_to}
        others = [
            entry
            for entry in self.manifest.by_task(Task.TEXT)
            if not entry.alternative_to and entry.id not in taken
        ]
        return [first, *others]

    def text(self) -> TextEncoder:
        """The first text space's encoder (the one that chunks notes)."""
        return self._text_encoder(self.text_entry())

    def text_encoders(self) -> list[TextEncoder]:
        """The encoders of :meth:`text_entries`, in that order, each made on first use."""
        return [self._text_encoder(entry) for entry in self.text_entries()]

    def _text_encoder(self, entry: ModelEntry) -> TextEncoder:
        return self._made_once(entry, TextEncoder.from_pack)

    def _no_text_model(self) -> PackError:
        return PackError(f"pack {self.manifest.name!r} has no text model")

    def image(self) -> ImageEncoder | None:
        return self._make(Task.IMAGE, ImageEncoder.from_pack)

    def image_text(self) -> ImageTextEncoder | None:
        return self._make(Task.IMAGE_TEXT, ImageTextEncoder.from_pack)

    def audio(self) -> AudioEncoder | None:
        return self._make(Task.AUDIO, AudioEncoder.from_pack)

    def speech(self) -> SpeechTranscriber | None:
        return self._make(Task.SPEECH, SpeechTranscriber.from_pack)

    def voice(self) -> VoiceDetector | None:
        return self._make(Task.VAD, VoiceDetector.from_pack)

    def ocr(self) -> TextReader | None:
        """What reads words in pictures; ``None`` where the pack has no OCR model."""
        return self._make(Task.OCR, TextReader.from_pack)
