"""TextEncoder: pooling, prefixes, batching, truncation and chunking against a fake session with
a tiny word-level tokenizer; then retrieval on real Tux Paint captions with the dev pack."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from numpy.typing import NDArray
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

from engine.inference.session import InferenceError
from engine.inference.text import TextEncoder
from models.manifest import (
    AudioPreprocessing,
    FileRef,
    Manifest,
    ModelEntry,
    PackError,
    Task,
    TextPreprocessing,
)
from tests import media

DIM = 8
WORDS = "a cat rocket the moon black white kitten search : . , sat on mat and flew to".split()
VOCAB = {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3} | {w: i + 4 for i, w in enumerate(WORDS)}
CLS, SEP = VOCAB["[CLS]"], VOCAB["[SEP]"]


def tiny_tokenizer() -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", CLS), ("[SEP]", SEP)]
    )
    return tokenizer


def text_entry(pooling: str = "mean", max_tokens: int = 64, **changes: object) -> ModelEntry:
    entry = ModelEntry(
        id="fake-text",
        task=Task.TEXT,
        files={"model": FileRef("fake/model.onnx", "0" * 64, 1)},
        dims={"embedding": DIM},
        preprocessing=TextPreprocessing(max_tokens=max_tokens),
        pooling=pooling,
        inputs={"model": ["input_ids", "attention_mask"]},
        outputs={"model": ["last_hidden_state"]},
    )
    return replace(entry, **changes)  # type: ignore[arg-type]


TABLE = np.random.default_rng(0).normal(size=(len(VOCAB), DIM)).astype(np.float32)


def contextual_states(ids: Sequence[int] | NDArray[np.int64]) -> NDArray[np.float32]:
    """What the fake model gives for one unpadded row: each token's vector plus the row's mean,
    so the first token carries the sentence (as BERT's [CLS] does) and padding would show."""
    vectors = TABLE[list(ids)]
    return vectors + vectors.mean(axis=0)


class FakeSession:
    """Runs :func:`contextual_states` on each row's real tokens; records every feed."""

    def __init__(self, width: int = DIM) -> None:
        self.feeds: list[dict[str, NDArray[np.int64]]] = []
        self.width = width

    def run(
        self, output_names: Sequence[str], feed: Mapping[str, NDArray[np.generic]]
    ) -> list[NDArray[np.float32]]:
        assert list(output_names) == ["last_hidden_state"]
        assert feed["input_ids"].dtype == np.int64 and feed["attention_mask"].dtype == np.int64
        ids = np.asarray(feed["input_ids"], dtype=np.int64)
        mask = np.asarray(feed["attention_mask"], dtype=np.int64)
        self.feeds.append({"input_ids": ids.copy(), "attention_mask": mask.copy()})
        hidden = np.full((*ids.shape, self.width), 99.0, dtype=np.float32)  # padding: loud junk
        for row in range(ids.shape[0]):
            real = int(mask[row].sum())
            hidden[row, :real, :DIM] = contextual_states(ids[row, :real])
        return [hidden]


def make(entry: ModelEntry | None = None, **options: int) -> tuple[TextEncoder, FakeSession]:
    session = FakeSession()
    return TextEncoder(entry or text_entry(), session, tiny_tokenizer(), **options), session


def unit(vector: NDArray[np.float32]) -> NDArray[np.float32]:
    return vector / np.linalg.norm(vector)


TEXTS = ["A cat sat on the mat.", "a rocket", "The black cat and the white kitten sat.", "moon"]


@pytest.mark.parametrize("pooling", ["mean", "cls"])
def test_pooling_over_real_tokens_only(pooling: str) -> None:
    encoder, session = make(text_entry(pooling))
    vectors = encoder.encode(TEXTS)
    assert vectors.shape == (4, DIM) and vectors.dtype == np.float32
    assert session.feeds[0]["attention_mask"].min() == 0  # one padded batch
    for text, vector in zip(TEXTS, vectors, strict=True):
        states = contextual_states(tiny_tokenizer().encode(text).ids)
        expected = states.mean(axis=0) if pooling == "mean" else states[0]
        np.testing.assert_allclose(vector, unit(expected), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_prefix_applies_to_queries_only() -> None:
    encoder, session = make(text_entry(prefixes={"query": "search: "}))
    query = encoder.encode(["a cat"], kind="query")
    document = encoder.encode(["a cat"], kind="document")
    default = encoder.encode(["a cat"])
    ids = [feed["input_ids"][0].tolist() for feed in session.feeds]
    assert ids[0] == [CLS, VOCAB["search"], VOCAB[":"], VOCAB["a"], VOCAB["cat"], SEP]
    assert ids[1] == ids[2] == [CLS, VOCAB["a"], VOCAB["cat"], SEP]
    np.testing.assert_array_equal(document, default)
    assert float(query[0] @ document[0]) < 0.999
    with pytest.raises(ValueError, match="kind"):
        encoder.encode(["a cat"], kind="passage")  # type: ignore[arg-type]


def test_batches_bounded_sorted_by_length_results_in_input_order() -> None:
    texts = ["a cat sat on the mat and the moon", "a", "the black cat", "rocket", "a cat and a mat"]
    encoder, session = make(batch_size=2)
    together = encoder.encode(texts)
    widths = [feed["input_ids"].shape[1] for feed in session.feeds]
    assert [feed["input_ids"].shape[0] for feed in session.feeds] == [2, 2, 1]
    assert widths == sorted(widths)
    alone = np.vstack([make()[0].encode([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-6)


def test_batches_bounded_by_padded_tokens() -> None:
    texts = ["a", "a cat", "the black cat sat", "the black cat sat on the mat"]  # 3, 4, 6, 9 ids
    encoder, session = make(batch_tokens=12)
    encoder.encode(texts)
    shapes = [feed["input_ids"].shape for feed in session.feeds]
    assert shapes == [(2, 4), (1, 6), (1, 9)]
    assert all(rows * width <= 12 for rows, width in shapes)


def test_truncation_keeps_the_limit_and_closing_token() -> None:
    encoder, session = make(text_entry(max_tokens=8))
    encoder.encode(["the cat sat on the mat and the kitten sat on the moon"])
    ids = session.feeds[0]["input_ids"]
    assert ids.shape == (1, 8)
    assert ids[0, 0] == CLS and ids[0, -1] == SEP


def test_chunks_cover_the_text_with_overlap() -> None:
    text = "  The cat sat on the mat.\n\nA rocket flew to the moon , and the black cat sat. " * 6
    encoder, _ = make(text_entry(max_tokens=10), overlap_tokens=2)
    assert (encoder.window_tokens, encoder.overlap_tokens) == (8, 2)
    chunks = encoder.chunks(text)
    assert len(chunks) > 5
    covered = np.zeros(len(text), dtype=bool)
    for chunk in chunks:
        assert chunk.text == text[chunk.start_char : chunk.end_char]
        assert len(tiny_tokenizer().encode(chunk.text).ids) <= 10
        covered[chunk.start_char : chunk.end_char] = True
    assert all(covered[i] for i, char in enumerate(text) if not char.isspace())
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert before.start_char < after.start_char < before.end_char  # overlap, moving on
    assert chunks[0].start_char == 2 and chunks[-1].end_char == len(text.rstrip())
    assert len(encoder.chunks("a cat")) == 1


def test_encode_document_gives_one_row_per_chunk() -> None:
    encoder, _ = make(text_entry(max_tokens=6), overlap_tokens=1)
    chunks, vectors = encoder.encode_document("a cat sat on the mat and the moon and a rocket")
    assert vectors.shape == (len(chunks), DIM) and len(chunks) >= 3
    np.testing.assert_allclose(vectors, encoder.encode([c.text for c in chunks]), atol=1e-6)


def test_empty_input() -> None:
    encoder, session = make()
    assert encoder.encode([]).shape == (0, DIM)
    with pytest.raises(ValueError, match="text 1 is empty"):
        encoder.encode(["a cat", " \n\t"])
    with pytest.raises(ValueError, match="empty"):
        encoder.encode([""], kind="query")
    with pytest.raises(ValueError, match="empty"):
        encoder.chunks("   ")
    with pytest.raises(TypeError):
        encoder.encode("a cat")  # a bare string is not a list of texts
    assert session.feeds == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pooling": "max"}, "pooling"),
        (
            {
                "task": Task.AUDIO,
                "preprocessing": AudioPreprocessing(
                    sample_rate=16000, window_seconds=1.0, hop_seconds=1.0
                ),
            },
            "task is 'audio', not 'text'",
        ),
        ({"outputs": {"model": ["pooler_output"]}}, "no 'last_hidden_state'"),
        ({"inputs": {"model": ["input_ids", "attention_mask", "token_type_ids"]}}, "inputs"),
    ],
)
def test_unusable_entries_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(PackError, match=message):
        make(text_entry(**changes))  # type: ignore[arg-type]


def test_wrong_output_width_is_an_inference_error() -> None:
    encoder = TextEncoder(text_entry(), FakeSession(width=DIM + 1), tiny_tokenizer())
    with pytest.raises(InferenceError, match="shape"):
        encoder.encode(["a cat"])


# --- real weights, real captions ----------------------------------------------------------------

MINILM = "minilm-l6-v2"


@cache
def folder_captions(folder: str) -> tuple[str, ...]:
    stamps = media.tux_stamps() / folder
    return tuple(sorted({media.caption(path) for path in stamps.rglob("*.txt")}))


@cache
def all_captions() -> tuple[str, ...]:
    return folder_captions(".")


@pytest.fixture(scope="module")
def encoder(dev_pack: Manifest) -> TextEncoder:
    return TextEncoder.from_pack(dev_pack, dev_pack.get(MINILM))


def ranks(encoder: TextEncoder, query: str, documents: Sequence[str]) -> dict[str, int]:
    scores = encoder.encode(documents) @ encoder.encode([query], kind="query")[0]
    order = np.argsort(-scores, kind="stable")
    return {documents[index]: rank + 1 for rank, index in enumerate(order)}


def test_cat_query_ranks_cat_captions_first(encoder: TextEncoder) -> None:
    cats = folder_captions("animals/mammals/cats") + ("A black cat.",)
    others = tuple(
        caption
        for folder in ("space", "vehicles", "food/fruit", "animals/mammals/dogs", "seasonal")
        for caption in folder_captions(folder)
        if caption not in cats
    )
    assert len(cats) >= 7 and len(others) >= 100
    rank = ranks(encoder, "a cat", cats + others)
    assert min(rank[caption] for caption in cats) == 1
    assert rank["A black cat."] == 1 and rank["A white kitten."] == 2
    mean_cat = np.mean([rank[caption] for caption in cats])
    mean_other = np.mean([rank[caption] for caption in others])
    assert mean_cat * 4 < mean_other, (mean_cat, mean_other)


def test_rocket_query_finds_rockets_among_all_captions(encoder: TextEncoder) -> None:
    documents = all_captions()
    rank = ranks(encoder, "a rocket", documents)
    rockets = [caption for caption in documents if re.search(r"\brockets?\b", caption, re.I)]
    assert rockets
    assert min(rank[caption] for caption in rockets) == 1


def test_no_prefix_for_minilm_and_arctic_style_query_prefix(dev_pack: Manifest) -> None:
    entry = dev_pack.get(MINILM)
    plain = TextEncoder.from_pack(dev_pack, entry)
    text = ["A white kitten."]
    np.testing.assert_array_equal(plain.encode(text, "query"), plain.encode(text, "document"))
    prefix = "Represent this sentence for searching relevant passages: "
    prefixed_entry = replace(entry, prefixes={"query": prefix})
    prefixed = TextEncoder.from_pack(dev_pack, prefixed_entry)
    query = prefixed.encode(text, "query")
    np.testing.assert_allclose(query, plain.encode([prefix + text[0]]), atol=1e-5)
    np.testing.assert_array_equal(prefixed.encode(text), plain.encode(text))
    assert float(query[0] @ plain.encode(text)[0]) < 0.95


def test_a_text_embeds_the_same_whatever_it_is_embedded_with(dev_pack: Manifest) -> None:
    """The compact pack's MiniLM quantises each call's activations with one scale, so the
    encoder runs it one text a call: a caption's vector alone (as a query is) and among 200
    others (as a note's chunks are) are the same."""
    entry = dev_pack.get(MINILM)
    assert entry.graph.variant.scales_per_call
    encoder = TextEncoder.from_pack(dev_pack, entry)
    captions = all_captions()[::4]
    assert len(captions) >= 150
    together = encoder.encode(captions)
    alone = np.concatenate([encoder.encode([caption]) for caption in captions])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    # Batched, the same graph moves them: the rule is what holds them still.
    batched = TextEncoder(
        entry,
        encoder.session,
        Tokenizer.from_file(str(dev_pack.path(entry, "tokenizer"))),
        batch_size=32,
    )
    assert float(np.sum(batched.encode(captions) * alone, axis=1).min()) < 0.999


def test_long_real_text_is_chunked_within_the_token_limit(dev_pack: Manifest) -> None:
    encoder = TextEncoder.from_pack(dev_pack, dev_pack.get(MINILM))
    text = "\n".join(all_captions()[:300])
    chunks, vectors = encoder.encode_document(text)
    assert len(chunks) >= 5 and vectors.shape == (len(chunks), encoder.dim)
    tokenizer = Tokenizer.from_file(str(dev_pack.path(dev_pack.get(MINILM), "tokenizer")))
    tokenizer.no_truncation()
    covered = np.zeros(len(text), dtype=bool)
    for chunk in chunks:
        assert chunk.text == text[chunk.start_char : chunk.end_char]
        assert len(tokenizer.encode(chunk.text).ids) <= encoder.max_tokens
        covered[chunk.start_char : chunk.end_char] = True
    assert all(covered[i] for i, char in enumerate(text) if not char.isspace())
    # A chunk is embedded as itself; cut-off text was not silently dropped into the last one.
    np.testing.assert_allclose(vectors[3], encoder.encode([chunks[3].text])[0], atol=1e-5)


# --- a graph that pools itself (USE-multilingual) -----------------------------------------------


class SentenceSession:
    """Gives one row per text, not yet unit length: the mean of its real tokens' table rows."""

    def run(
        self, output_names: Sequence[str], feed: Mapping[str, NDArray[np.generic]]
    ) -> list[NDArray[np.float32]]:
        assert list(output_names) == ["sentence_embedding"]
        ids, mask = np.asarray(feed["input_ids"]), np.asarray(feed["attention_mask"])
        return [
            np.stack(
                [3.0 * TABLE[ids[row][mask[row] == 1]].mean(axis=0) for row in range(len(ids))]
            )
        ]


def sentence_entry(**changes: object) -> ModelEntry:
    return text_entry("sentence", outputs={"model": ["sentence_embedding"]}, **changes)


def test_a_graph_that_pools_itself_gives_unit_rows_in_input_order() -> None:
    encoder = TextEncoder(sentence_entry(), SentenceSession(), tiny_tokenizer())
    vectors = encoder.encode(TEXTS)
    for text, vector in zip(TEXTS, vectors, strict=True):
        expected = TABLE[tiny_tokenizer().encode(text).ids].mean(axis=0)
        np.testing.assert_allclose(vector, unit(expected), atol=1e-6)
    with pytest.raises(PackError, match="no 'sentence_embedding'"):
        TextEncoder(text_entry("sentence"), SentenceSession(), tiny_tokenizer())


USE_M3 = "use-m3"


@pytest.fixture(scope="module")
def use_m3(dev_pack: Manifest) -> TextEncoder:
    return TextEncoder.from_pack(dev_pack, dev_pack.get(USE_M3))


@cache
def translated_captions(language: str) -> tuple[tuple[str, str], ...]:
    """(English, translation) for every stamp caption that has one in ``language``."""
    pairs = {}
    for path in sorted(media.tux_stamps().rglob("*.txt")):
        found = media.captions(path)
        if language in found and found[language] != found["en"]:
            pairs[found["en"]] = found[language]
    return tuple(sorted(pairs.items()))


@pytest.mark.parametrize(("language", "least"), [("es", 0.6), ("fr", 0.6), ("zh_CN", 0.5)])
def test_use_m3_finds_the_english_caption_of_a_translation(
    use_m3: TextEncoder, language: str, least: float
) -> None:
    """Each translated caption as a query among all English captions of that language's
    stamps: its own English caption is the nearest for most (MiniLM, English-only, for few)."""
    pairs = translated_captions(language)
    assert len(pairs) >= 300
    english = use_m3.encode([en for en, _ in pairs])
    asked = use_m3.encode([other for _, other in pairs], kind="query")
    top1 = float(np.mean((asked @ english.T).argmax(axis=1) == np.arange(len(pairs))))
    assert top1 >= least, top1


def test_use_m3_reads_long_text_in_chunks_it_sees_whole(use_m3: TextEncoder) -> None:
    text = "\n".join(other for _, other in translated_captions("de")[:200])
    chunks, vectors = use_m3.encode_document(text)
    assert use_m3.max_tokens == 256 and len(chunks) >= 3
    assert vectors.shape == (len(chunks), 512)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    for chunk in chunks:
        assert chunk.text == text[chunk.start_char : chunk.end_char]
