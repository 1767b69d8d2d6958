"""The BERT sentence-encoder exporter: random-weight parity for each arctic-embed shape, and
the real all-MiniLM-L6-v2 weights (the arctic-embed-xs architecture) through the same path."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import BertModel

from models.export import bert, variants
from models.export.common import compare, parity
from models.export.optimise import OptimiseError, io_names, write_variant
from models.manifest import GraphVariant, ModelEntry, Task, TextPreprocessing, sha256_of

# (batch, length) pairs unlike the traced example (2 x 12), padded rows included.
SHAPES = [(1, 7), (3, 40), (1, 40), (3, 7)]


def _lengths(batch: int, length: int) -> list[int]:
    return [length] + [max(3, length // (row + 2)) for row in range(batch - 1)]


@pytest.fixture(scope="module")
def minilm_dir() -> Path:
    return bert.minilm_weights_dir()


def _fake_snapshot(variant: str, folder: Path, minilm_dir: Path) -> Path:
    """A hub-like snapshot: random weights of the variant's shape and MiniLM's tokenizer."""
    torch.manual_seed(0)
    model = BertModel(bert.ARCTIC_SHAPES[variant].config(), add_pooling_layer=False)
    model.save_pretrained(folder)
    shutil.copyfile(minilm_dir / "tokenizer.json", folder / "tokenizer.json")
    return folder


@pytest.mark.parametrize("variant", ["xs", "s", pytest.param("m-v1.5", marks=pytest.mark.slow)])
def test_arctic_export_matches_torch(variant: str, tmp_path: Path, minilm_dir: Path) -> None:
    weights = _fake_snapshot(variant, tmp_path / "weights", minilm_dir)
    pack = tmp_path / "pack"
    entry = bert.export_arctic_embed(variant, weights, pack)  # type: ignore[arg-type]

    model_path = pack / entry.files["model"].path
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    assert [(i.name, i.type) for i in session.get_inputs()] == [
        ("input_ids", "tensor(int64)"),
        ("attention_mask", "tensor(int64)"),
    ]
    assert [o.name for o in session.get_outputs()] == ["last_hidden_state"]

    module = bert.load_bert(weights, bert.ARCTIC_SHAPES[variant])
    for batch, length in SHAPES:
        example = bert.example_batch(_lengths(batch, length), seed=batch * 100 + length)
        found = parity(module, model_path, example, bert.TEXT_GRAPH)["last_hidden_state"]
        assert found.within(bert.PARITY), (batch, length, found)
    example = bert.example_batch([7, 2, 5])
    (output,) = session.run(None, {name: tensor.numpy() for name, tensor in example.items()})
    assert output.shape == (3, 7, bert.ARCTIC_SHAPES[variant].hidden)

    _check_arctic_entry(entry, variant, pack)
    # What ships is the traced graph fused by ONNX Runtime's optimizer, and the entry says so.
    assert entry.graph == bert.SHIPPED_GRAPH
    assert {"Attention", "SkipLayerNormalization"} <= _op_types(model_path)


def _op_types(path: Path) -> set[str]:
    import onnx

    return {node.op_type for node in onnx.load(str(path)).graph.node}


def _check_arctic_entry(entry: ModelEntry, variant: str, pack: Path) -> None:
    assert entry.id == f"arctic-embed-{variant}"
    assert entry.task is Task.TEXT
    assert entry.pooling == "cls"
    assert entry.prefix("query") == "Represent this sentence for searching relevant passages: "
    assert entry.prefix("document") == ""
    assert entry.preprocessing == TextPreprocessing(max_tokens=512)
    assert entry.embedding_dim == {"xs": 384, "s": 384, "m-v1.5": 768}[variant]
    assert entry.licence == "Apache-2.0"
    assert entry.source == f"Snowflake/snowflake-arctic-embed-{variant}"
    assert entry.inputs == {"model": ["input_ids", "attention_mask"]}
    assert entry.outputs == {"model": ["last_hidden_state"]}
    assert set(entry.files) == {"model", "tokenizer"}
    for ref in entry.files.values():
        assert ref.path.startswith(f"{entry.id}/")
        assert sha256_of(pack / ref.path) == ref.sha256


def test_arctic_refuses_weights_of_another_shape(tmp_path: Path, minilm_dir: Path) -> None:
    with pytest.raises(bert.ExportError, match="expected"):
        bert.export_arctic_embed("s", minilm_dir, tmp_path / "pack")
    with pytest.raises(bert.ExportError, match="unknown"):
        bert.export_arctic_embed("l", minilm_dir, tmp_path / "pack")  # type: ignore[arg-type]


def _rename_key(snapshot: Path, old: str, new: str) -> None:
    state = load_file(str(snapshot / "model.safetensors"))
    state[new] = state.pop(old)
    save_file(state, str(snapshot / "model.safetensors"), metadata={"format": "pt"})


def test_a_checkpoint_with_a_renamed_key_stops_the_build(tmp_path: Path, minilm_dir: Path) -> None:
    """from_pretrained would start the layer from random weights and parity would still pass
    (torch and ONNX equally random); the loading report stops it, naming both keys."""
    weights = _fake_snapshot("xs", tmp_path / "weights", minilm_dir)
    _rename_key(
        weights,
        "encoder.layer.3.attention.self.query.weight",
        "encoder.layer.3.attention.self.querry.weight",
    )
    with pytest.raises(bert.ExportError) as raised:
        bert.export_arctic_embed("xs", weights, tmp_path / "pack")
    message = str(raised.value)
    assert "missing 1: encoder.layer.3.attention.self.query.weight" in message
    assert "unexpected 1: encoder.layer.3.attention.self.querry.weight" in message
    assert not (tmp_path / "pack").exists()


def test_a_mis_shaped_key_stops_the_build(tmp_path: Path, minilm_dir: Path) -> None:
    weights = _fake_snapshot("xs", tmp_path / "weights", minilm_dir)
    state = load_file(str(weights / "model.safetensors"))
    state["encoder.layer.0.output.dense.bias"] = torch.zeros(100)
    save_file(state, str(weights / "model.safetensors"), metadata={"format": "pt"})
    with pytest.raises(bert.ExportError, match=r"dense.bias \(100,\) \(expected \(384,\)\)"):
        bert.load_bert(weights, bert.ARCTIC_SHAPES["xs"])


def test_the_unused_pooler_is_the_only_key_let_through(minilm_dir: Path) -> None:
    """MiniLM's checkpoint carries pooler weights the text graph drops on purpose."""
    assert {"pooler.dense.weight", "pooler.dense.bias"} <= set(
        load_file(str(minilm_dir / "model.safetensors"))
    )
    bert.load_bert(minilm_dir, bert.MINILM_SHAPE)  # no error


@pytest.fixture(scope="module")
def dev_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ModelEntry]]:
    pack = tmp_path_factory.mktemp("pack")
    return pack, bert.build_dev(pack)


SENTENCES = [
    "A black cat.",
    "The Apollo lunar lander module.",
    "Saturn—the second largest planet in our solar system—and the one with the most rings.",
    "A US 25 cent piece ($.25) called a quarter.",
]


def _tokenised(tokenizer_path: Path) -> dict[str, np.ndarray]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_path))
    tokenizer.enable_padding()
    encodings = tokenizer.encode_batch(SENTENCES)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
    }


def test_real_minilm_onnx_matches_transformers(minilm_traced: Path, minilm_dir: Path) -> None:
    feed = _tokenised(minilm_dir / "tokenizer.json")
    # Reference: transformers as a user would load it (default attention, token types given).
    reference = BertModel.from_pretrained(str(minilm_dir)).eval()
    with torch.no_grad():
        expected = reference(
            input_ids=torch.from_numpy(feed["input_ids"]),
            attention_mask=torch.from_numpy(feed["attention_mask"]),
            token_type_ids=torch.zeros_like(torch.from_numpy(feed["input_ids"])),
        ).last_hidden_state.numpy()
    session = ort.InferenceSession(str(minilm_traced), providers=["CPUExecutionProvider"])
    (actual,) = session.run(None, feed)
    real = feed["attention_mask"].astype(bool)
    assert feed["attention_mask"].min() == 0  # the batch really has padding
    assert compare(expected[real], actual[real]).within(bert.PARITY)


def test_dev_entry(dev_build: tuple[Path, list[ModelEntry]], minilm_traced: Path) -> None:
    pack, (entry,) = dev_build
    assert entry.id == "minilm-l6-v2"
    assert entry.pooling == "mean"
    assert entry.prefixes == {}
    assert entry.preprocessing == TextPreprocessing(max_tokens=256)
    assert entry.embedding_dim == 384
    assert entry.inputs == {"model": ["input_ids", "attention_mask"]}
    assert entry.outputs == {"model": ["last_hidden_state"]}
    for ref in entry.files.values():
        assert sha256_of(pack / ref.path) == ref.sha256
    # Dynamic int8 of the fused graph: a quarter of the traced file, int8 attention and
    # matmuls, and the entry says how far it moved real captions.
    assert entry.graph == bert.COMPACT_GRAPH and entry.graph.variant is GraphVariant.INT8_DYNAMIC
    model = pack / entry.files["model"].path
    assert entry.files["model"].bytes < minilm_traced.stat().st_size / 3
    assert {"MatMulInteger", "QAttention"} <= _op_types(model)
    assert "mean cosine" in entry.notes


def test_the_compact_minilm_stays_near_the_traced_graph(
    dev_build: tuple[Path, list[ModelEntry]], minilm_traced: Path
) -> None:
    pack, (entry,) = dev_build
    quality = bert.compare_int8(
        minilm_traced,
        pack / entry.files["model"].path,
        pack / entry.files["tokenizer"].path,
        SENTENCES,
    )
    mean, least = bert.INT8_BOUND
    assert quality.mean_cosine >= mean and quality.min_cosine >= least, quality
    assert quality.min_cosine < 0.9999  # int8: it did move them


def test_an_int8_graph_that_moves_vectors_too_far_is_refused(
    dev_build: tuple[Path, list[ModelEntry]], minilm_traced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack, (entry,) = dev_build
    monkeypatch.setattr(bert, "INT8_BOUND", (0.99999, 0.9999))
    with pytest.raises(bert.ExportError, match="moves sentence vectors too far"):
        bert.check_int8(
            minilm_traced, pack / entry.files["model"].path, pack / entry.files["tokenizer"].path
        )


@pytest.fixture(scope="module")
def minilm_traced(tmp_path_factory: pytest.TempPathFactory, minilm_dir: Path) -> Path:
    module = bert.load_bert(minilm_dir, bert.MINILM_SHAPE)
    target = tmp_path_factory.mktemp("traced") / "model.onnx"
    return bert.export_checked(bert.MINILM_SPEC, module, target)


@pytest.mark.parametrize(
    "variant", [GraphVariant.FUSED_O1, GraphVariant.FUSED_O2, GraphVariant.FUSED_O3], ids=str
)
def test_fused_minilm_embeds_as_transformers_does(
    variant: GraphVariant, minilm_traced: Path, minilm_dir: Path, tmp_path: Path
) -> None:
    """Real weights, real sentences: each fusion level keeps the fixed names, and its mean-pooled
    sentence vectors lie at cosine >= 0.9999 from transformers' own model."""
    target = write_variant(
        minilm_traced, variant, tmp_path / "model.onnx", bert.MINILM_SHAPE.config()
    )
    assert io_names(target) == (["input_ids", "attention_mask"], ["last_hidden_state"])
    feed = _tokenised(minilm_dir / "tokenizer.json")
    reference = BertModel.from_pretrained(str(minilm_dir)).eval()
    with torch.no_grad():
        hidden = reference(
            input_ids=torch.from_numpy(feed["input_ids"]),
            attention_mask=torch.from_numpy(feed["attention_mask"]),
        ).last_hidden_state.numpy()
    weights = feed["attention_mask"][..., None].astype(np.float64)
    expected = (hidden * weights).sum(axis=1) / weights.sum(axis=1)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    cosines = (bert.mean_pooled(target, feed, feed["attention_mask"]) * expected).sum(axis=1)
    assert cosines.min() >= 0.9999, cosines
    assert _op_types(target) != _op_types(minilm_traced)  # it did rewrite the graph


def test_int8_variants_keep_the_names_and_store_int8_weights(
    minilm_traced: Path, tmp_path: Path
) -> None:
    sizes = {}
    for variant in (GraphVariant.INT8_DYNAMIC, GraphVariant.INT8_DYNAMIC_PER_TENSOR):
        target = write_variant(
            minilm_traced,
            variant,
            tmp_path / variant.value / "model.onnx",
            bert.MINILM_SHAPE.config(),
        )
        assert io_names(target) == (["input_ids", "attention_mask"], ["last_hidden_state"])
        assert {"MatMulInteger", "QAttention"} <= _op_types(target)
        sizes[variant] = target.stat().st_size
    assert max(sizes.values()) < minilm_traced.stat().st_size / 3


def test_the_downloaded_int8_is_not_made_from_an_export(
    minilm_traced: Path, tmp_path: Path
) -> None:
    with pytest.raises(OptimiseError, match="int8-weights"):
        write_variant(
            minilm_traced,
            GraphVariant.INT8_WEIGHTS,
            tmp_path / "m.onnx",
            bert.MINILM_SHAPE.config(),
        )


def test_the_variants_pack_names_its_reference(tmp_path: Path, minilm_dir: Path) -> None:
    weights = _fake_snapshot("xs", tmp_path / "weights", minilm_dir)
    spec = bert.arctic_spec("xs")
    entries = variants.sentence_variants(spec, weights, tmp_path / "pack")
    assert [entry.graph.variant for entry in entries] == list(variants.MADE_FROM_EXPORT)
    reference = "arctic-embed-xs@as-exported"
    assert [entry.alternative_to for entry in entries] == [""] + [reference] * (len(entries) - 1)
    assert entries[0].id == reference
    for entry in entries:
        assert entry.files["model"].path.startswith(f"{entry.id}/")
        assert entry.prefix("query") == bert.ARCTIC_QUERY_PREFIX
