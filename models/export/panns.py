"""PANNs CNN14 for sound by example and sound tags (release pack; random weights tested here).

The graph takes ``waveform`` [batch, samples] (float32, mono, 32 kHz, any length from ~0.4 s)
and gives ``embedding`` [batch, 2048] (not normalised) and ``clipwise`` [batch, 527] AudioSet
probabilities; the AudioSet display names are written beside it as a ``labels`` file, one per
line, in output order. The log-mel front end is inside the graph, so the engine feeds raw audio.

Windows: 10 s every 5 s. CNN14 was trained on AudioSet's 10 s clips, so a 10 s window is the
input it knows (its max+mean time pooling is calibrated to that span); a 5 s hop places every
event of up to 5 s wholly inside at least one window, for twice the compute of no overlap.
Build-time only.
"""

from __future__ import annotations

import csv
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from models.arch.cnn14 import AUDIOSET_CLASSES, CNN14_FRONT_END, EMBEDDING_DIM, Cnn14
from models.export.common import (
    Graph,
    Parity,
    ParityBound,
    check_parity,
    export_onnx,
    load_strict,
    parity,
)
from models.manifest import AudioPreprocessing, ModelEntry, Task, file_ref
from models.translations import AUDIOSET, write_synonyms, write_translations

CNN14_ID = "panns-cnn14"
SOURCE = (
    "https://zenodo.org/record/3987831 (Cnn14_mAP=0.431.pth; labels: class_labels_indices.csv); "
    "Kong et al. 2020, PANNs, github.com/qiuqiangkong/audioset_tagging_cnn"
)
WINDOW_SECONDS = 10.0
HOP_SECONDS = 5.0
# AudioSet's ontology (its names) is CC BY-SA 4.0, and so are the names translated from it.
TRANSLATIONS_LICENCE = (
    "labels in zh_CN, es and fr: translated for Trove from AudioSet's, CC BY-SA 4.0"
)
# Export is refused when ONNX Runtime drifts from torch beyond this (tests/benchmarks/parity.py).
PARITY = ParityBound(relative=4e-4, cosine=3e-9)

GRAPH = Graph(
    inputs=("waveform",),
    outputs=("embedding", "clipwise"),
    dynamic_axes={
        "waveform": {0: "batch", 1: "samples"},
        "embedding": {0: "batch"},
        "clipwise": {0: "batch"},
    },
)
PREPROCESSING = AudioPreprocessing(
    sample_rate=CNN14_FRONT_END.sample_rate,
    window_seconds=WINDOW_SECONDS,
    hop_seconds=HOP_SECONDS,
)

# Release checkpoints also pickle a data sampler's numpy state beside the weights; these let the
# safe (weights-only) unpickler read it, under numpy 2's and numpy 1's module names.
_MULTIARRAY: Any = importlib.import_module("numpy._core.multiarray")
_NUMPY_GLOBALS: list[Any] = [
    np.ndarray,
    np.dtype,
    _MULTIARRAY._reconstruct,
    _MULTIARRAY.scalar,
    (_MULTIARRAY._reconstruct, "numpy.core.multiarray._reconstruct"),
    (_MULTIARRAY.scalar, "numpy.core.multiarray.scalar"),
    *(type(np.dtype(code)) for code in "?bhilqBHILQefdgO"),
]


class PannsExportError(RuntimeError):
    """A checkpoint or label list that does not fit CNN14, or an export that fails parity."""


def read_checkpoint(checkpoint: Path) -> dict[str, torch.Tensor]:
    """The state dict of a PANNs checkpoint (``{"model": state, ...}``) or of a bare state."""
    with torch.serialization.safe_globals(_NUMPY_GLOBALS):
        data = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = data.get("model", data) if isinstance(data, dict) else None
    if not isinstance(state, dict):
        raise PannsExportError(f"{checkpoint} holds no state dict")
    return state


def load_cnn14(checkpoint: Path) -> Cnn14:
    """CNN14 with a release checkpoint's weights, every key matched (``strict=True``)."""
    state = read_checkpoint(checkpoint)
    classes = state["fc_audioset.weight"].shape[0] if "fc_audioset.weight" in state else 0
    network = Cnn14(classes=classes or AUDIOSET_CLASSES)
    load_strict(network, state, checkpoint, PannsExportError)
    return network.eval()


def read_labels(labels_csv: Path, classes: int = AUDIOSET_CLASSES) -> list[str]:
    """Display names from AudioSet's ``class_labels_indices.csv`` (index, mid, display_name)."""
    with labels_csv.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    try:
        by_index = {int(row["index"]): row["display_name"].strip() for row in rows}
    except (KeyError, ValueError) as error:
        raise PannsExportError(f"{labels_csv} is not an index,mid,display_name table") from error
    if sorted(by_index) != list(range(classes)):
        raise PannsExportError(f"{labels_csv} has {len(by_index)} labels, expected {classes}")
    names = [by_index[index] for index in range(classes)]
    if any(not name or "\n" in name for name in names):
        raise PannsExportError(f"{labels_csv} has an empty or multi-line label")
    return names


def check_export(
    network: torch.nn.Module, onnx_path: Path, example: Mapping[str, torch.Tensor]
) -> Parity:
    """Torch vs ONNX Runtime on ``example``; raise if an output drifts beyond :data:`PARITY`."""
    return check_parity(str(onnx_path), parity(network, onnx_path, example, GRAPH), PARITY)


def export_network(
    network: Cnn14,
    pack_dir: Path,
    labels: list[str] | None,
    model_id: str = CNN14_ID,
    translations: str | None = None,
) -> ModelEntry:
    """Write ``<pack>/<id>/model.onnx`` (and ``labels.txt``, with the label set
    ``translations`` names in the UI's other languages: :mod:`models.translations`), check
    parity, describe them."""
    classes = network.fc_audioset.out_features
    if labels is not None and len(labels) != classes:
        raise PannsExportError(f"{len(labels)} labels for {classes} classes")
    folder = pack_dir / model_id
    folder.mkdir(parents=True, exist_ok=True)
    # Two clips of 3 s: the traced batch and length axes must both stay dynamic.
    generator = torch.Generator().manual_seed(0)
    waveform = 0.1 * torch.randn(2, 3 * CNN14_FRONT_END.sample_rate, generator=generator)
    example = {"waveform": waveform}
    model_path = export_onnx(network, example, GRAPH, folder / "model.onnx")
    found = check_export(network, model_path, example)
    files = {"model": file_ref(pack_dir, model_path)}
    if labels is not None:
        labels_path = folder / "labels.txt"
        labels_path.write_text("\n".join(labels) + "\n", encoding="utf-8")
        files["labels"] = file_ref(pack_dir, labels_path)
        if translations is not None:
            files.update(write_translations(translations, labels, folder, pack_dir))
            files.update(write_synonyms([translations], folder, pack_dir))
    return ModelEntry(
        id=model_id,
        task=Task.AUDIO,
        files=files,
        dims={"embedding": EMBEDDING_DIM, "clipwise": classes},
        preprocessing=PREPROCESSING,
        pooling="none",
        inputs={"model": list(GRAPH.inputs)},
        outputs={"model": list(GRAPH.outputs)},
        licence="MIT" if translations is None else f"MIT; {TRANSLATIONS_LICENCE}",
        source=SOURCE,
        notes=(
            "waveform mono float32 at 32 kHz, at least 0.4 s; log-mel front end inside the graph; "
            "embedding = ReLU(fc1) of max+mean time pooling; clipwise = sigmoid AudioSet scores; "
            f"torch vs ONNX: {found.describe()}"
        ),
    )


def export_cnn14(checkpoint: Path, pack_dir: Path, labels_csv: Path | None) -> ModelEntry:
    """The release pack's sound model from ``Cnn14_mAP=0.431.pth`` and its label table."""
    network = load_cnn14(checkpoint)
    classes = network.fc_audioset.out_features
    if labels_csv is None:
        return export_network(network, pack_dir, None)
    labels = read_labels(labels_csv, classes)
    return export_network(network, pack_dir, labels, translations=AUDIOSET)
