"""Image-by-example vectors, and ImageNet-style tags, from a pack's image model.

One forward pass gives both: ``embedding`` (pooled features, normalised here) and, where the
model classifies, ``logits`` over the classes named in its ``labels`` file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Self

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from engine.inference.concepts import Concepts
from engine.inference.needs import EMBEDDING, Graph, Needs
from engine.inference.providers import Placement
from engine.inference.session import LabelledModel, LazySession, Session
from engine.inference.vectors import l2_normalize
from engine.media.images import preprocess
from models.manifest import ImagePreprocessing, Manifest, ModelEntry, PackError

INPUT = "pixel_values"
LOGITS = "logits"
DEFAULT_BATCH_SIZE = 16
NEEDS = Needs(
    "an image encoder",
    ImagePreprocessing,
    (Graph("model", (INPUT,), (EMBEDDING,)),),
    scores=LOGITS,
)

Tags = list[tuple[str, float]]


class ImageEncoder(LabelledModel):
    """``encode`` gives unit vectors (n, dim); ``tags`` the top classes with probabilities
    and, where the pack says what the classes are (``concepts``), the concepts they add up to."""

    def __init__(
        self,
        entry: ModelEntry,
        session: Session,
        labels: list[str] | None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        concepts: Concepts | None = None,
    ) -> None:
        self.preprocessing = NEEDS.check(entry, labels)
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        super().__init__(entry, session, labels)
        self.batch_size = batch_size
        self.concepts = concepts

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> Self:
        labels = manifest.labels(entry)
        concepts = None
        if labels is not None and "concepts" in entry.files:
            concepts = Concepts.read(manifest.path(entry, "concepts"), len(labels))
        session = LazySession(manifest.path(entry, "model"), placement)
        return cls(entry, session, labels, concepts=concepts)

    def encode(self, images: Sequence[Image.Image]) -> NDArray[np.float32]:
        """Unit vectors (n, dim), one per image, rows in input order."""
        embeddings, _ = self._forward(images, want_logits=False)
        return embeddings

    def tags(self, images: Sequence[Image.Image], top_k: int = 5) -> list[Tags]:
        """The ``top_k`` most probable labels of each image, best first, as (label, probability),
        then its most probable concepts (see :mod:`engine.inference.concepts`)."""
        _, tags = self.encode_with_tags(images, top_k)
        return tags

    def encode_with_tags(
        self, images: Sequence[Image.Image], top_k: int = 5
    ) -> tuple[NDArray[np.float32], list[Tags]]:
        """Vectors and tags from the same forward pass."""
        labels = self.labels
        if labels is None:
            raise PackError(f"model {self.entry.id!r} has no labels, so it cannot tag images")
        if top_k < 1:
            raise ValueError(f"top_k must be positive, got {top_k}")
        embeddings, probabilities = self.classify(images)
        return embeddings, [self.tags_of(row, top_k) for row in probabilities]

    def classify(
        self, images: Sequence[Image.Image]
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        """Vectors (n, dim) and class probabilities (n, classes) from the same forward pass."""
        if self.labels is None:
            raise PackError(f"model {self.entry.id!r} has no labels, so it cannot tag images")
        embeddings, logits = self._forward(images, want_logits=True)
        return embeddings, softmax(logits)

    def tags_of(self, probabilities: NDArray[np.float32], top_k: int = 5) -> Tags:
        """One image's tags from its class probabilities (see :meth:`tags`)."""
        if self.labels is None:
            raise PackError(f"model {self.entry.id!r} has no labels, so it cannot tag images")
        if top_k < 1:
            raise ValueError(f"top_k must be positive, got {top_k}")
        found = top_labels(self.labels, probabilities, top_k)
        return found + (self.concepts.tags(probabilities) if self.concepts else [])

    def _forward(
        self, images: Sequence[Image.Image], want_logits: bool
    ) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        if isinstance(images, Image.Image):
            raise TypeError("encode takes a sequence of images; wrap a single image in a list")
        outputs = [EMBEDDING, LOGITS] if want_logits else [EMBEDDING]
        classes = self.entry.dims.get(LOGITS, 0) if want_logits else 0
        embeddings = np.zeros((len(images), self.dim), dtype=np.float32)
        logits = np.zeros((len(images), classes), dtype=np.float32)
        # Decoded images are preprocessed one batch at a time, so a long list never sits in
        # memory as float tensors all at once.
        for start in range(0, len(images), self.batch_size):
            batch = preprocess(images[start : start + self.batch_size], self.preprocessing)
            results = self.session.run(outputs, {INPUT: batch})
            stop = start + len(batch)
            embeddings[start:stop] = results[0]
            if want_logits:
                logits[start:stop] = results[1]
        return l2_normalize(embeddings), logits


def top_labels(labels: Sequence[str], probabilities: NDArray[np.float32], top_k: int) -> Tags:
    """The ``top_k`` (label, probability) pairs, most probable first (ties keep label order)."""
    order = np.argsort(-probabilities, kind="stable")[:top_k]
    return [(labels[index], float(probabilities[index])) for index in order]


def softmax(logits: NDArray[np.float32]) -> NDArray[np.float32]:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)
