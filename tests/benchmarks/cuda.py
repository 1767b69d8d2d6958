"""The CUDA execution provider: does each model of a pack run on the GPU, agree with the CPU,
and how much faster is it.

    python -m tests.benchmarks.cuda [--pack DIR] [--media DIR] [--report FILE]

Needs an ONNX Runtime with ``CUDAExecutionProvider`` and an NVIDIA GPU (run where one is lent;
see BENCHMARKS.md for how it was done). ``--device cpu`` runs the same script against the CPU
on both sides: a dry run that proves the script, not the GPU.

The dev pack's MiniLM ships as dynamic int8 of the fused graph (``QAttention``,
``DynamicQuantizeLinear``, ``MatMulInteger``): the placement check below says which of its
nodes the CUDA provider runs and which fall back to the CPU, and so whether a GPU should get
the fused float graph instead (``Attention``, ``SkipLayerNormalization``, ``BiasGelu``, which
it has kernels for). ``--pack`` on the graph variants pack
(``tests.benchmarks.encoders --variants`` builds it under ``~/.cache/trove/packs/variants-*``;
copy it along, nothing is built on the device) puts every variant through the same checks:
as exported, O1-O3, dynamic int8 and Whisper's fused graphs.

Per model of the pack, through the engine's own encoder classes (the path the app takes with
``--device cuda``):

- placement: one profiled run per ONNX graph lists the provider of every node, so a graph that
  silently runs part of itself on the CPU (an operator the CUDA provider lacks) shows here;
- agreement: the same real inputs on the CPU and on the GPU, worst cosine between the vectors
  (and for speech, whether the transcript is word for word the same);
- speed: the median of repeated runs of one representative batch on each side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.inference.audio import AudioEncoder
from engine.inference.image import ImageEncoder
from engine.inference.pack import find_pack
from engine.inference.providers import Placement, choose, session_options
from engine.inference.speech import SpeechTranscriber
from engine.inference.text import TextEncoder
from engine.media.audio import load_audio
from engine.media.images import load_image
from models.manifest import Manifest, ModelEntry, Task, load_manifest
from tests.benchmarks import machine, today, write_section

TITLE = "CUDA execution provider"
REPEATS = 10
SENTENCES = (
    "a dog running on the beach",
    "the meeting about next year's budget",
    "un perro en la playa",
    "la reunión del presupuesto",
    "海滩上的一条狗",
    "passport photo for the visa application",
    "tomato plants need water every morning in summer",
    "an owl in the night",
)


@dataclass(frozen=True)
class Inputs:
    images: list[Path]
    sounds: list[Path]  # recordings with speech


@dataclass(frozen=True)
class Row:
    model: str
    graph: str
    nodes_on_gpu: int
    nodes: int
    on_cpu: str  # the operator types left on the CPU, with counts
    agreement: str
    cpu_ms: float
    gpu_ms: float


def placement_of(graph: Path, placement: Placement) -> tuple[int, int, str]:
    """(nodes on the GPU, all nodes, operators left on the CPU) of one profiled run."""
    import onnxruntime as ort  # after the engine's imports, which turn its telemetry off

    options = session_options(placement)
    with tempfile.TemporaryDirectory() as folder:
        options.enable_profiling = True
        options.profile_file_prefix = str(Path(folder) / "profile")
        session = ort.InferenceSession(str(graph), options, providers=list(placement.providers))
        session.run(None, example_feed(session))
        events = json.loads(Path(session.end_profiling()).read_text())
    nodes = {
        event["name"]: (event["args"]["op_name"], event["args"]["provider"])
        for event in events
        if event.get("cat") == "Node" and "provider" in event.get("args", {})
    }
    accelerated = placement.providers[0]
    left = Counter(op for op, provider in nodes.values() if provider != accelerated)
    on_gpu = sum(1 for _, provider in nodes.values() if provider == accelerated)
    shown = ", ".join(f"{op} x{count}" for op, count in left.most_common())
    return on_gpu, len(nodes), shown or "none"


def example_feed(session: Any) -> dict[str, NDArray[np.generic]]:
    """Inputs of the declared shapes (symbolic sizes 1, past lengths 0) for a placement run."""
    feed: dict[str, NDArray[np.generic]] = {}
    for node in session.get_inputs():
        shape = [dim if isinstance(dim, int) else _symbolic_size(str(dim)) for dim in node.shape]
        if "int64" in node.type:
            feed[node.name] = np.ones(shape, np.int64)
        else:
            rng = np.random.default_rng(0)
            feed[node.name] = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    return feed


def _symbolic_size(name: str) -> int:
    if name in ("past",):
        return 0
    return 16000 if name == "samples" else 1


def timed(work: Callable[[], object]) -> float:
    """Median milliseconds of :data:`REPEATS` runs after two warm-ups."""
    for _ in range(2):
        work()
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        work()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def worst_cosine(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    return float(np.min(np.sum(a * b, axis=-1)))


class Check:
    """Every graph of a pack, on the CPU and on the accelerator."""

    def __init__(self, manifest: Manifest, inputs: Inputs, device: str) -> None:
        self.manifest = manifest
        self.inputs = inputs
        self.cpu = choose("cpu")
        self.gpu = choose(device)

    def rows(self) -> list[Row]:
        rows: list[Row] = []
        for entry in self.manifest.models:
            measure = {
                Task.TEXT: self._text,
                Task.IMAGE: self._image,
                Task.AUDIO: self._audio,
                Task.SPEECH: self._speech,
            }.get(entry.task)
            if measure is None:
                continue
            agreement, cpu_ms, gpu_ms = measure(entry)
            for graph, ref in entry.files.items():
                if not ref.path.endswith(".onnx"):
                    continue
                on_gpu, nodes, left = placement_of(self.manifest.path(entry, graph), self.gpu)
                rows.append(Row(entry.id, graph, on_gpu, nodes, left, agreement, cpu_ms, gpu_ms))
        return rows

    def _text(self, entry: ModelEntry) -> tuple[str, float, float]:
        encoders = [TextEncoder.from_pack(self.manifest, entry, p) for p in (self.cpu, self.gpu)]
        vectors = [encoder.encode(list(SENTENCES), "query") for encoder in encoders]
        times = [timed(partial(encoder.encode, list(SENTENCES), "query")) for encoder in encoders]
        return f"cosine >= {worst_cosine(*vectors):.6f}", times[0], times[1]

    def _image(self, entry: ModelEntry) -> tuple[str, float, float]:
        pictures = [load_image(path) for path in self.inputs.images]
        encoders = [ImageEncoder.from_pack(self.manifest, entry, p) for p in (self.cpu, self.gpu)]
        vectors = [encoder.encode(pictures) for encoder in encoders]
        times = [timed(partial(encoder.encode, pictures)) for encoder in encoders]
        return f"cosine >= {worst_cosine(*vectors):.6f}", times[0], times[1]

    def _audio(self, entry: ModelEntry) -> tuple[str, float, float]:
        encoders = [AudioEncoder.from_pack(self.manifest, entry, p) for p in (self.cpu, self.gpu)]
        rate = encoders[0].sample_rate
        sounds = [load_audio(path, rate).samples for path in self.inputs.sounds]
        vectors = [
            np.stack([w.embedding for s in sounds for w in encoder.encode_windows(s, rate)])
            for encoder in encoders
        ]
        times = [timed(partial(encoder.encode_windows, sounds[0], rate)) for encoder in encoders]
        return f"cosine >= {worst_cosine(*vectors):.6f}", times[0], times[1]

    def _speech(self, entry: ModelEntry) -> tuple[str, float, float]:
        transcribers = [
            SpeechTranscriber.from_pack(self.manifest, entry, p) for p in (self.cpu, self.gpu)
        ]
        sounds = [load_audio(path, 16000).samples for path in self.inputs.sounds]
        texts = [
            [" ".join(s.text for s in t.transcribe(sound, 16000)) for sound in sounds]
            for t in transcribers
        ]
        same = sum(a == b for a, b in zip(*texts, strict=True))
        times = [timed(partial(t.transcribe, sounds[0], 16000)) for t in transcribers]
        seconds = len(sounds[0]) / 16000
        return (
            f"{same}/{len(sounds)} transcripts identical; {seconds:.1f} s of speech: "
            f"{seconds * 1000 / times[0]:.0f}x / {seconds * 1000 / times[1]:.0f}x real time",
            times[0],
            times[1],
        )


def render(rows: list[Row], device: str, command: str) -> str:
    import onnxruntime as ort

    lines = [
        f"Machine: {machine()}; accelerator: {device}; ONNX Runtime {ort.__version__} "
        f"({', '.join(ort.get_available_providers())}). {today()}. Command: `{command}`.",
        "",
        "Each graph of the pack through the engine's own encoders, placed by "
        "`choose('cuda')` as `--device cuda` does. *Nodes on GPU* comes from one profiled run "
        "(ONNX Runtime's node events name each node's provider). Agreement: the same real "
        "inputs on both sides. Times: median of 10 runs of one batch (8 queries; the demo "
        "photos; one recording).",
        "",
        "| model | graph | nodes on GPU | left on CPU | agreement | CPU ms | GPU ms | speed-up |",
        "|---|---|---:|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.model} | {row.graph} | {row.nodes_on_gpu}/{row.nodes} | {row.on_cpu} | "
            f"{row.agreement} | {row.cpu_ms:.1f} | {row.gpu_ms:.1f} | "
            f"{row.cpu_ms / row.gpu_ms:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.cuda", description=__doc__)
    parser.add_argument("--pack", type=Path, default=None)
    parser.add_argument("--media", type=Path, required=True, help="photos and speech to use")
    parser.add_argument("--device", default="cuda", help="cuda, or cpu for a dry run")
    parser.add_argument("--report", type=Path, default=None, help="write here, not BENCHMARKS.md")
    args = parser.parse_args(argv)
    import onnxruntime as ort

    if hasattr(ort, "preload_dlls"):
        ort.preload_dlls()  # CUDA and cuDNN from the nvidia-* wheels beside it, where present
    manifest = load_manifest(args.pack or find_pack())
    photos = sorted(p for p in args.media.iterdir() if p.suffix in (".png", ".jpg"))
    speech = sorted(p for p in args.media.iterdir() if p.suffix in (".ogg", ".wav"))
    rows = Check(manifest, Inputs(photos, speech), args.device).rows()
    command = "python -m tests.benchmarks.cuda " + " ".join(argv or sys.argv[1:])
    body = render(rows, args.device, command)
    print(body)
    if args.report is not None:
        args.report.write_text(f"## {TITLE}\n\n{body}\n")
    else:
        write_section(TITLE, body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
