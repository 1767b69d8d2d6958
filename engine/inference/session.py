"""ONNX sessions behind a small protocol, opened lazily under a lock.

Encoders hold a :class:`LazySession` so that start-up costs nothing until the first item is
encoded, and unit tests can hand an encoder any object with a matching ``run`` method instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from engine.inference.mapped import mapped_copy
from engine.inference.providers import Placement, choose, session_options
from models.manifest import Manifest, ModelEntry

log = logging.getLogger(__name__)

Feed = Mapping[str, NDArray[np.generic]]


class Session(Protocol):
    """The part of ``onnxruntime.InferenceSession`` that encoders use."""

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]: ...


class InferenceError(RuntimeError):
    """A model failed to load or to run; the message names the model file."""


class LazySession:
    """Opens ``path`` on first use, once, even when several threads ask at the same moment.

    ``mapped`` (the file's sha256) opens a copy of it whose weights ONNX Runtime maps instead of
    copying (:mod:`engine.inference.mapped`): for the query encoders, whose opening a search
    waits for.
    """

    def __init__(
        self, path: Path, placement: Placement | None = None, mapped: str | None = None
    ) -> None:
        self.path = path
        self.placement = placement or choose()
        self.mapped = mapped
        self._session: ort.InferenceSession | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def _open(self) -> ort.InferenceSession:
        with self._lock:
            if self._session is None:
                if self.mapped is not None:
                    try:
                        self._session = self._load(mapped_copy(self.path, self.mapped))
                    except InferenceError as error:  # a copy gone bad: the pack's file will do
                        log.warning("%s; opening %s itself", error, self.path)
                if self._session is None:
                    self._session = self._load(self.path)
                log.info("loaded %s on %s", self.path.name, self._session.get_providers()[0])
            return self._session

    def _load(self, path: Path) -> ort.InferenceSession:
        try:
            return ort.InferenceSession(
                str(path),
                sess_options=session_options(self.placement),
                providers=list(self.placement.providers),
            )
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise InferenceError(f"cannot load model {path}: {error}") from error

    def run(self, output_names: Sequence[str], feed: Feed) -> list[NDArray[np.float32]]:
        session = self._open()
        try:
            return list(session.run(list(output_names), dict(feed)))
        except Exception as error:
            raise InferenceError(f"model {self.path.name} failed: {error}") from error


class LabelledModel:
    """One ONNX graph of a pack whose model may also classify: ``labels`` are index-aligned
    with its scores, or ``None``. Shared by the image and sound encoders."""

    def __init__(self, entry: ModelEntry, session: Session, labels: list[str] | None) -> None:
        self.entry = entry
        self.session = session
        self.labels = labels

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> Self:
        return cls(
            entry, LazySession(manifest.path(entry, "model"), placement), manifest.labels(entry)
        )

    @property
    def dim(self) -> int:
        return self.entry.embedding_dim

    @property
    def has_tags(self) -> bool:
        return self.labels is not None
