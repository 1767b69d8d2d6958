"""Images and texts in one vector space, from a pack's image-text model (UForm3 on a release
pack): two towers, each ending in the shared embedding, normalised here.

The text side follows uform's own processor: the tokenizer's ids are cut to ``max_tokens``
(the model's position table) after encoding, and padding uses the pad id the pack's tokenizer
carries. The dev pack has no image-text model; a ModelSet then returns ``None`` for this task.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from tokenizers import Tokenizer

from engine.inference.needs import EMBEDDING, Graph, Needs
from engine.inference.providers import Placement
from engine.inference.session import InferenceError, LazySession, Session
from engine.inference.vectors import l2_normalize
from engine.media.images import preprocess
from models.manifest import ImageTextPreprocessing, Manifest, ModelEntry, PackError

IMAGE_INPUTS = ("pixel_values",)
TEXT_INPUTS = ("input_ids", "attention_mask")
DEFAULT_BATCH_SIZE = 16
NEEDS = Needs(
    "an image-text encoder",
    ImageTextPreprocessing,
    (Graph("image", IMAGE_INPUTS, (EMBEDDING,)), Graph("text", TEXT_INPUTS, (EMBEDDING,))),
    files=("tokenizer",),
)


class ImageTextEncoder:
    """``encode_images`` and ``encode_texts`` give unit vectors (n, dim) in the same space."""

    def __init__(
        self,
        entry: ModelEntry,
        image_session: Session,
        text_session: Session,
        tokenizer: Tokenizer,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        self.preprocessing = NEEDS.check(entry)
        self.max_tokens = self.preprocessing.text.max_tokens
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.entry = entry
        self.image_session = image_session
        self.text_session = text_session
        self.batch_size = batch_size
        padding = tokenizer.padding
        if padding is None:
            raise PackError(f"model {entry.id!r}: its tokenizer names no padding token")
        self._pad_id = int(padding["pad_id"])
        # A private copy configured once and never changed, so the encoder may be shared
        # between threads; rows are padded here, to the longest row of each batch.
        self._tokenizer = Tokenizer.from_str(tokenizer.to_str())
        self._tokenizer.no_padding()

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> ImageTextEncoder:
        return cls(
            entry,
            LazySession(manifest.path(entry, "image"), placement),
            LazySession(  # mapped: a text query waits for this session to open
                manifest.path(entry, "text"), placement, mapped=entry.files["text"].sha256
            ),
            Tokenizer.from_file(str(manifest.path(entry, "tokenizer"))),
        )

    @property
    def dim(self) -> int:
        return self.entry.embedding_dim

    def encode_images(self, images: Sequence[Image.Image]) -> NDArray[np.float32]:
        """Unit vectors (n, dim), one per image, rows in input order."""
        if isinstance(images, Image.Image):
            raise TypeError("encode_images takes a sequence of images; wrap one in a list")
        embeddings = np.zeros((len(images), self.dim), dtype=np.float32)
        # Preprocessed one batch at a time, so a long list never sits in memory as tensors.
        for start in range(0, len(images), self.batch_size):
            batch = preprocess(images[start : start + self.batch_size], self.preprocessing.image)
            (result,) = self.image_session.run([EMBEDDING], {IMAGE_INPUTS[0]: batch})
            embeddings[start : start + len(batch)] = self._checked(result, len(batch), "image")
        return l2_normalize(embeddings)

    def encode_texts(self, texts: Sequence[str]) -> NDArray[np.float32]:
        """Unit vectors (n, dim), one per text (a query or a caption), rows in input order."""
        if isinstance(texts, str):
            raise TypeError("encode_texts takes a sequence of texts; wrap one in a list")
        for index, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {index} is empty or whitespace; there is nothing to embed")
        embeddings = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return embeddings
        ids = [encoding.ids[: self.max_tokens] for encoding in self._tokenizer.encode_batch(texts)]
        # Similar lengths share a batch, so little of each batch is padding.
        order = sorted(range(len(ids)), key=lambda row: len(ids[row]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            input_ids, mask = self.pad([ids[row] for row in rows])
            feed = {TEXT_INPUTS[0]: input_ids, TEXT_INPUTS[1]: mask}
            (result,) = self.text_session.run([EMBEDDING], feed)
            embeddings[rows] = self._checked(result, len(rows), "text")
        return l2_normalize(embeddings)

    def pad(self, rows: Sequence[Sequence[int]]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Right-pad token ids to the longest row: ``(input_ids, attention_mask)``."""
        width = max(len(row) for row in rows)
        input_ids = np.full((len(rows), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for index, row in enumerate(rows):
            input_ids[index, : len(row)] = row
            mask[index, : len(row)] = 1
        return input_ids, mask

    def _checked(self, result: NDArray[np.float32], rows: int, tower: str) -> NDArray[np.float32]:
        if result.shape != (rows, self.dim):
            raise InferenceError(
                f"model {self.entry.id!r} {tower} tower returned shape {result.shape}, "
                f"expected {(rows, self.dim)}"
            )
        return result
