"""Sentence embeddings from a pack's text model: tokenise, run, pool, normalise.

Pooling and the query/document prefixes come from the manifest entry, so one class serves
arctic-embed, MiniLM and USE-multilingual alike: with ``cls`` or ``mean`` the ONNX graph returns
per-token states (``last_hidden_state``) and the encoder pools them; with ``sentence`` the graph
pools itself and returns one row per text (``sentence_embedding``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from engine.inference.needs import Graph, Needs
from engine.inference.providers import Placement
from engine.inference.session import InferenceError, LazySession, Session
from engine.inference.vectors import l2_normalize
from models.manifest import Manifest, ModelEntry, PackError, TextPreprocessing

TextKind = Literal["query", "document"]

INPUTS = ("input_ids", "attention_mask")
TOKEN_STATES = "last_hidden_state"
SENTENCE_EMBEDDING = "sentence_embedding"
IN_GRAPH = "sentence"  # the pooling of a graph that pools itself
POOLINGS = ("cls", "mean", IN_GRAPH)
DEFAULT_BATCH_SIZE = 32
# Rows x padded length per run: bounds the attention matrices (rows x heads x length^2) when
# documents are long, while short queries still go 32 at a time.
DEFAULT_BATCH_TOKENS = 8192
DEFAULT_OVERLAP_TOKENS = 32


def output_of(pooling: str) -> str:
    """The graph output an entry with this pooling is read from."""
    return SENTENCE_EMBEDDING if pooling == IN_GRAPH else TOKEN_STATES


def needs(pooling: str) -> Needs[TextPreprocessing]:
    graph = Graph("model", INPUTS, (output_of(pooling),))
    return Needs("a text encoder", TextPreprocessing, (graph,))


@dataclass(frozen=True)
class TextChunk:
    """One window of a long text: ``text == source[start_char:end_char]``."""

    start_char: int
    end_char: int
    text: str


class TextEncoder:
    """Embeds short texts (queries, captions) and long ones (notes, transcripts) by chunks."""

    def __init__(
        self,
        entry: ModelEntry,
        session: Session,
        tokenizer: Tokenizer,
        batch_size: int | None = None,
        batch_tokens: int = DEFAULT_BATCH_TOKENS,
        overlap_tokens: int = DEFAULT_OVERLAP_TOKENS,
    ) -> None:
        pre = needs(entry.pooling).check(entry, more=_pooling_problems)
        if batch_size is None:
            # One text a call where the graph quantises each call's activations with one
            # scale: a text's vector is then the same whatever it is embedded with, a query's
            # included (batched, int8 MiniLM's caption vectors moved by up to 0.02 in cosine),
            # and for short texts it is faster too (no padding; BENCHMARKS.md, "Encoders").
            batch_size = 1 if entry.graph.variant.scales_per_call else DEFAULT_BATCH_SIZE
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.entry = entry
        self.output = output_of(entry.pooling)
        self.session = session
        self.batch_size = batch_size
        self.batch_tokens = batch_tokens
        self.max_tokens = pre.max_tokens
        # Two private copies, each configured once and never changed later, so that encoders
        # may be shared between threads: one truncates for the model; the other sees a whole
        # document for chunking, and is made when a document is first chunked (a query's
        # process never needs it: a copy costs 25 ms).
        self._tokenizer_json = tokenizer.to_str()
        self._model_tokenizer = Tokenizer.from_str(self._tokenizer_json)
        self._model_tokenizer.no_padding()
        self._model_tokenizer.enable_truncation(self.max_tokens)
        padding = tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else 0
        # Both short: truncation at ``max_tokens`` cuts neither (a prefix that long fails below)
        special = len(self._model_tokenizer.encode("").ids)
        prefix = len(
            self._model_tokenizer.encode(entry.prefix("document"), add_special_tokens=False).ids
        )
        # Room left in one model input for the document's own tokens.
        self.window_tokens = self.max_tokens - special - prefix
        if self.window_tokens < 2:
            raise PackError(f"model {entry.id!r}: max_tokens {self.max_tokens} leaves no room")
        self.overlap_tokens = max(0, min(overlap_tokens, self.window_tokens // 2))

    @classmethod
    def from_pack(
        cls, manifest: Manifest, entry: ModelEntry, placement: Placement | None = None
    ) -> TextEncoder:
        model = manifest.path(entry, "model")  # mapped: a query waits for its session to open
        session = LazySession(model, placement, mapped=entry.files["model"].sha256)
        tokenizer = Tokenizer.from_file(str(manifest.path(entry, "tokenizer")))
        return cls(entry, session, tokenizer)

    @property
    def dim(self) -> int:
        return self.entry.embedding_dim

    @cached_property
    def _chunk_tokenizer(self) -> Tokenizer:
        whole = Tokenizer.from_str(self._tokenizer_json)
        whole.no_padding()
        whole.no_truncation()
        return whole

    def encode(self, texts: Sequence[str], kind: TextKind = "document") -> NDArray[np.float32]:
        """Unit vectors (n, dim); texts past ``max_tokens`` are cut (see :meth:`chunks`)."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of texts; wrap a single text in a list")
        if kind not in ("query", "document"):
            raise ValueError(f"kind must be 'query' or 'document', got {kind!r}")
        for index, text in enumerate(texts):
            if not text.strip():
                raise ValueError(f"text {index} is empty or whitespace; there is nothing to embed")
        pooled = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return pooled
        prefix = self.entry.prefix(kind)
        encodings = self._model_tokenizer.encode_batch([prefix + text for text in texts])
        for rows in self._batches([len(encoding.ids) for encoding in encodings]):
            pooled[rows] = self._run([encodings[row] for row in rows])
        return l2_normalize(pooled)

    def chunks(self, text: str) -> list[TextChunk]:
        """Windows of at most ``window_tokens`` tokens, each overlapping the previous one by
        ``overlap_tokens``, cut at token boundaries so that every chunk fits the model whole."""
        if not text.strip():
            raise ValueError("text is empty or whitespace; there is nothing to embed")
        offsets = self._chunk_tokenizer.encode(text, add_special_tokens=False).offsets
        if not offsets:  # only characters the tokenizer drops
            raise ValueError("text has no tokens the model can read")
        step = self.window_tokens - self.overlap_tokens
        result = []
        for first in range(0, len(offsets), step):
            last = min(first + self.window_tokens, len(offsets)) - 1
            start, end = offsets[first][0], offsets[last][1]
            result.append(TextChunk(start, end, text[start:end]))
            if last == len(offsets) - 1:
                break
        return result

    def encode_document(self, text: str) -> tuple[list[TextChunk], NDArray[np.float32]]:
        """A long text's chunks and one unit vector per chunk, rows in chunk order."""
        pieces = self.chunks(text)
        return pieces, self.encode([piece.text for piece in pieces], kind="document")

    def _batches(self, lengths: Sequence[int]) -> Iterator[list[int]]:
        """Row indices by ascending length, so similar lengths share a batch and little of it
        is padding; a batch closes at ``batch_size`` rows or ``batch_tokens`` padded tokens."""
        batch: list[int] = []
        for index in sorted(range(len(lengths)), key=lengths.__getitem__):
            padded = (len(batch) + 1) * lengths[index]
            if batch and (len(batch) == self.batch_size or padded > self.batch_tokens):
                yield batch
                batch = []
            batch.append(index)
        if batch:
            yield batch

    def _run(self, encodings: Sequence[Encoding]) -> NDArray[np.float32]:
        """Pad one batch, run it, and pool each row (not yet normalised, unless the graph did)."""
        width = max(len(encoding.ids) for encoding in encodings)
        input_ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            input_ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        (output,) = self.session.run([self.output], {INPUTS[0]: input_ids, INPUTS[1]: mask})
        rows = (len(encodings), self.dim)
        expected = rows if self.output == SENTENCE_EMBEDDING else (rows[0], width, self.dim)
        if output.shape != expected:
            raise InferenceError(
                f"model {self.entry.id!r} returned shape {output.shape}, expected {expected}"
            )
        if self.output == SENTENCE_EMBEDDING:
            return np.asarray(output, dtype=np.float32)
        return pool(output, mask, self.entry.pooling)


def pool(hidden: NDArray[np.float32], mask: NDArray[np.int64], pooling: str) -> NDArray[np.float32]:
    """(batch, seq, d) token states -> (batch, d): the first token, or the mean of real tokens."""
    if pooling == "cls":
        return np.asarray(hidden[:, 0, :], dtype=np.float32)
    if pooling == "mean":
        weights = mask[..., None].astype(np.float32)
        total = (hidden * weights).sum(axis=1)
        return np.asarray(total / np.maximum(weights.sum(axis=1), 1.0), dtype=np.float32)
    raise ValueError(f"unknown pooling {pooling!r}; expected one of {POOLINGS}")


def _pooling_problems(entry: ModelEntry, _: TextPreprocessing) -> list[str]:
    if entry.pooling not in POOLINGS:
        return [f"pooling {entry.pooling!r} is not one of {POOLINGS}"]
    return []
