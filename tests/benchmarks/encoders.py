"""Encoder benchmark: speed, memory, FLOPs and share of this machine's peak, per pack model.

    .venv/bin/python -m tests.benchmarks.encoders [--seconds S] [--no-write] [--variants]

The pack is ``$TROVE_PACK`` (default ``~/.cache/trove/packs/dev``). Each model runs in a child
process of its own (``--model ID``), so the peak RSS reported is that model's, and items/s is
measured through the engine's encoder classes on real media (``tests.media``). FLOPs per item
are counted from the ONNX graph (MatMul, Gemm and Conv nodes, shapes from ONNX shape inference
at the item's input size); "model GFLOP/s" times the bare session on a ready batch, so that
decoding and preprocessing do not count against the network. Every row also gives the graph
variant the entry records, its files' size and the time to open its sessions.

``--variants`` measures instead every graph variant of the BERT-family text encoders (the
exporter's own graph, optimum's O1/O2/O3 fusions, dynamic int8, the downloaded int8 MiniLM),
built first by ``models.export.variants`` in the build environment, each with its retrieval
quality: every Tux Paint stamp's name (``lunar_lander`` -> "lunar lander") as a query against
all English captions, recall@1 with its 95% Wilson interval, and the mean cosine of each
caption's vector to the exporter's own graph (``alternative_to``). It writes its own section.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.behaviour import word_error_rate
from models.manifest import Manifest, ModelEntry, Task, load_manifest
from models.sources import cache_root
from tests import media
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.peak import MatmulProbe, Peak, numpy_peak, onnxruntime_peak

COMMAND = ".venv/bin/python -m tests.benchmarks.encoders"
TEXT_BATCHES = (1, 8, 32, 64)
PASSAGE_BATCHES = (1, 4, 16)
IMAGE_BATCHES = (1, 8, 16, 32)
AUDIO_BATCHES = (1, 2, 4)  # 30 s windows are heavy: batch 16 needs over 5 GiB
ROUNDS = 5
LOAD_TRIES = 3
BUILD_PYTHON = Path(".venv-build/bin/python")  # optimum lives in the build environment only
TARGET_QUERIES_PER_S = 100.0
TARGET_CNN_SHARE = 0.40
TARGET_REAL_TIME = 3.0
LONG_TEXT = Path("/usr/share/common-licenses/GPL-3")  # real English prose on every Debian

Feed = dict[str, NDArray[Any]]


def pack_folder() -> Path:
    configured = os.environ.get("TROVE_PACK")
    return Path(configured) if configured else cache_root() / "packs" / "dev"


# --- FLOPs from the graph -----------------------------------------------------------------------

# op type -> (index of the left/data input, index of the right/weight input)
_MATMULS = {
    "MatMul": (0, 1),
    "MatMulInteger": (0, 1),
    "QLinearMatMul": (0, 3),
    "FusedMatMul": (0, 1),
}
_ATTENTIONS = {"Attention": 1, "QAttention": 1}  # op type -> index of the QKV weight
_CONVS = {"Conv": (0, 1), "ConvInteger": (0, 1), "QLinearConv": (0, 3)}


@dataclass(frozen=True)
class FlopCount:
    """Multiply-adds counted as two operations; ``unresolved`` nodes had unknown shapes."""

    flops: float
    nodes: int
    unresolved: int


def _known_shapes(graph: Any) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for value in [*graph.input, *graph.value_info, *graph.output]:
        tensor = value.type.tensor_type
        if tensor.HasField("shape") and all(d.HasField("dim_value") for d in tensor.shape.dim):
            shapes[value.name] = tuple(d.dim_value for d in tensor.shape.dim)
    for initializer in graph.initializer:
        shapes[initializer.name] = tuple(initializer.dims)
    return shapes


def _node_flops(node: Any, shapes: Mapping[str, tuple[int, ...]]) -> float | None:
    out = shapes.get(node.output[0])
    if node.op_type in _MATMULS:
        left = shapes.get(node.input[_MATMULS[node.op_type][0]])
        if out is None or not left:
            return None
        return 2.0 * math.prod(out) * left[-1]
    if node.op_type in _CONVS:
        weight = shapes.get(node.input[_CONVS[node.op_type][1]])
        if out is None or weight is None:
            return None
        return 2.0 * math.prod(out) * math.prod(weight[1:])  # weight: (out, in / groups, *kernel)
    if node.op_type in _ATTENTIONS:
        # ONNX Runtime's fused self-attention: the packed QKV projection (weight: hidden x
        # 3 hidden), then scores (QK^T) and their product with V, 2 x batch x S x S x hidden each.
        weight = shapes.get(node.input[_ATTENTIONS[node.op_type]])
        if out is None or weight is None:
            return None
        batch, length, hidden = out
        return 2.0 * batch * length * math.prod(weight) + 4.0 * batch * length * length * hidden
    if node.op_type == "Gemm":
        left = shapes.get(node.input[0])
        if out is None or left is None:
            return None
        trans_a = any(a.name == "transA" and a.i for a in node.attribute)
        return 2.0 * math.prod(out) * (left[0] if trans_a else left[1])
    return None


def _probe_shapes(model: Any, names: Sequence[str], feed: Feed) -> dict[str, tuple[int, ...]]:
    """Shapes that inference left open, read from one ONNX Runtime run that returns them."""
    import onnx
    import onnxruntime as ort

    typed = {value.name: value.type.tensor_type.elem_type for value in model.graph.value_info}
    outputs = {value.name for value in model.graph.output}
    # ONNX's inference does not type the outputs of ONNX Runtime's fused operators (Attention,
    # SkipLayerNormalization): in a float graph those are float.
    model.graph.output.extend(
        onnx.helper.make_tensor_value_info(name, typed.get(name, onnx.TensorProto.FLOAT), None)
        for name in names
        if name not in outputs
    )
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    results = session.run(list(names), dict(feed))
    return {name: tuple(result.shape) for name, result in zip(names, results, strict=True)}


def count_flops(path: Path, feed: Feed) -> FlopCount:
    """FLOPs of one run of the graph on ``feed`` (top-level nodes only). Shapes come from ONNX
    shape inference at the feed's sizes; where an exporter left a dimension symbolic, one
    ONNX Runtime run on the feed fills it in."""
    import onnx

    model = onnx.load(str(path))
    for value in model.graph.input:
        if value.name in feed:
            value.type.tensor_type.shape.ClearField("dim")
            for size in feed[value.name].shape:
                value.type.tensor_type.shape.dim.add().dim_value = int(size)
    inferred = onnx.shape_inference.infer_shapes(model, data_prop=True)
    shapes = _known_shapes(inferred.graph)
    counted = [
        node
        for node in inferred.graph.node
        if node.op_type in _MATMULS
        or node.op_type in _CONVS
        or node.op_type in _ATTENTIONS
        or node.op_type == "Gemm"
    ]
    missing = sorted(
        {name for node in counted for name in (*node.input, *node.output) if name} - shapes.keys()
    )
    if missing:
        shapes.update(_probe_shapes(inferred, missing, feed))
    flops = [_node_flops(node, shapes) for node in counted]
    total = sum(value for value in flops if value is not None)
    return FlopCount(total, len(counted), sum(value is None for value in flops))


# --- timing -------------------------------------------------------------------------------------


def _cycle(items: Sequence[Any], batch: int) -> Iterator[Sequence[Any]]:
    start = 0
    while True:
        chunk = [items[(start + offset) % len(items)] for offset in range(batch)]
        start = (start + batch) % len(items)
        yield chunk


def throughput(
    run: Callable[[Sequence[Any]], object],
    items: Sequence[Any],
    batch: int,
    seconds: float,
    rounds: int = ROUNDS,
) -> float:
    """Items per second: the best of ``rounds`` rounds of ``seconds / rounds`` each (after one
    warm-up batch), cycling through the items. The best round, like the best matmul for the
    peak, because other processes on a shared machine only ever slow a round down."""
    batches = _cycle(items, batch)
    run(next(batches))
    best = 0.0
    for _ in range(rounds):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds or done == 0:
            run(next(batches))
            done += batch
        best = max(best, done / elapsed)
    return best


def share_of_peak(
    run: Callable[[], object], flops_per_run: float, seconds: float, rounds: int = ROUNDS
) -> tuple[float, float]:
    """(best FLOP/s of ``run``, median of its per-round ratio to a numpy matmul timed just
    before it). Pairing each round with its own matmul keeps the ratio honest on a machine
    whose other processes come and go."""
    probe = MatmulProbe()
    run()
    rates, shares = [], []
    for _ in range(rounds):
        reference = max(probe.rate(), probe.rate())
        calls, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / rounds or calls == 0:
            run()
            calls += 1
        rates.append(flops_per_run * calls / elapsed)
        shares.append(rates[-1] / reference)
    return max(rates), float(np.median(shares))


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


# --- one model, in a child process -------------------------------------------------------------


@dataclass
class Row:
    """One line of the table."""

    model: str
    workload: str
    batch: int = 0
    items_per_s: float = 0.0
    tried: str = ""
    flops_per_item: float = 0.0
    model_flops_per_s: float = 0.0
    share: float = 0.0
    rss_mib: float = 0.0
    min_rate: float | None = None  # target: at least this many items/s (or x real time)
    min_share: float | None = None  # target: model GFLOP/s at least this share of peak
    unit: str = "items/s"
    note: str = ""
    graph: str = ""  # the variant the manifest records
    megabytes: float = 0.0  # the entry's graph files on disk
    load_ms: float = 0.0  # opening its sessions, best of LOAD_TRIES
    quality: str = ""  # the figure a variant is judged by (--variants)

    def target(self) -> str:
        if self.min_rate is not None:
            return f">= {self.min_rate:g} {self.unit}"
        if self.min_share is not None:
            return f">= {self.min_share:.0%} of peak"
        return ""

    def met(self) -> bool | None:
        if self.min_rate is not None:
            return self.items_per_s >= self.min_rate
        if self.min_share is not None:
            return self.share >= self.min_share
        return None


@dataclass
class Workload:
    """What one benchmark line runs: ``encode`` goes through the engine class; ``feed`` builds a
    ready model input of ``batch`` typical items for the bare-session timing."""

    name: str
    items: Sequence[Any]
    encode: Callable[[Sequence[Any]], object]
    batches: Sequence[int]
    model_path: Path
    outputs: list[str]
    feed: Callable[[int], Feed]
    run: Callable[[Sequence[str], Feed], object]
    min_rate: float | None = None
    min_share: float | None = None


def _measure(entry: ModelEntry, workload: Workload, seconds: float) -> Row:
    rates = {b: throughput(workload.encode, workload.items, b, seconds) for b in workload.batches}
    best = max(rates, key=lambda b: rates[b])
    one = workload.feed(1)
    flops = count_flops(workload.model_path, one)
    feed = workload.feed(best)
    model_flops, share = share_of_peak(
        lambda: workload.run(workload.outputs, feed), flops.flops * best, seconds
    )
    note = f"{flops.unresolved}/{flops.nodes} nodes unresolved" if flops.unresolved else ""
    return Row(
        model=entry.id,
        workload=workload.name,
        batch=best,
        items_per_s=rates[best],
        tried=", ".join(f"{b}: {rates[b]:.1f}" for b in workload.batches),
        flops_per_item=flops.flops,
        model_flops_per_s=model_flops,
        share=share,
        rss_mib=peak_rss_mib(),
        min_rate=workload.min_rate,
        min_share=workload.min_share,
        note=note,
    )


def _text_workloads(manifest: Manifest, entry: ModelEntry) -> list[Workload]:
    from tokenizers import Tokenizer

    from engine.inference.text import TextEncoder, TextKind, output_of

    encoder = TextEncoder.from_pack(manifest, entry)
    encoder.batch_size = max(max(TEXT_BATCHES), max(PASSAGE_BATCHES))  # we batch ourselves
    tokenizer = Tokenizer.from_file(str(manifest.path(entry, "tokenizer")))
    tokenizer.no_padding()
    tokenizer.enable_truncation(encoder.max_tokens)
    queries = sorted({media.caption(stamp).rstrip(".") for stamp in media.stamp_images()})
    passages = [chunk.text for chunk in encoder.chunks(LONG_TEXT.read_text())]

    def workload(
        name: str, texts: Sequence[str], kind: TextKind, batches: Sequence[int]
    ) -> Workload:
        prefixed = [entry.prefix(kind) + text for text in texts]
        lengths = [len(tokenizer.encode(text).ids) for text in prefixed]
        median = prefixed[int(np.argsort(lengths)[len(lengths) // 2])]
        ids = np.asarray([tokenizer.encode(median).ids], dtype=np.int64)

        def feed(batch: int) -> Feed:
            tiled = np.repeat(ids, batch, axis=0)
            return {"input_ids": tiled, "attention_mask": np.ones_like(tiled)}

        return Workload(
            name,
            texts,
            lambda batch: encoder.encode(batch, kind=kind),
            batches,
            manifest.path(entry, "model"),
            [output_of(entry.pooling)],
            feed,
            encoder.session.run,
        )

    short = workload("short queries", queries, "query", (1,))
    short.min_rate = TARGET_QUERIES_PER_S
    return [
        short,
        workload("captions (documents)", queries, "document", TEXT_BATCHES),
        workload(f"{encoder.window_tokens}-token passages", passages, "document", PASSAGE_BATCHES),
    ]


def _image_workloads(manifest: Manifest, entry: ModelEntry) -> list[Workload]:
    from engine.inference.image import ImageEncoder
    from engine.media.images import load_image, preprocess

    encoder = ImageEncoder.from_pack(manifest, entry)
    encoder.batch_size = max(IMAGE_BATCHES)
    paths = media.stamp_images(photos_only=True)[::8] + list(media.skimage_photos().values())
    images = [load_image(path) for path in paths]

    def feed(batch: int) -> Feed:
        return {"pixel_values": preprocess(images[:batch], encoder.preprocessing)}

    return [
        Workload(
            "photos (decoded)",
            images,
            encoder.encode,
            IMAGE_BATCHES,
            manifest.path(entry, "model"),
            ["embedding"],
            feed,
            encoder.session.run,
            min_share=TARGET_CNN_SHARE,
        )
    ]


def _audio_workloads(manifest: Manifest, entry: ModelEntry) -> list[Workload]:
    from engine.inference.audio import AudioEncoder
    from engine.media.audio import load_audio

    encoder = AudioEncoder.from_pack(manifest, entry)
    encoder.batch_size = max(AUDIO_BATCHES)  # each chunk we pass is one batch
    rate = encoder.sample_rate
    length = round(encoder.window_seconds * rate)
    # One full window per animal sound (short calls looped), as the indexer feeds them.
    windows = [
        (0.0, length / rate, np.resize(load_audio(path, rate).samples, length))
        for path in media.animal_sounds()
    ]

    def feed(batch: int) -> Feed:
        return {"waveform": np.stack([window[2] for window in windows[:batch]])}

    return [
        Workload(
            f"animal sounds ({encoder.window_seconds:g} s windows)",
            windows,
            lambda batch: list(encoder.encode_stream(batch)),
            AUDIO_BATCHES,
            manifest.path(entry, "model"),
            ["embedding"],
            feed,
            encoder.session.run,
        )
    ]


def _speech_rows(manifest: Manifest, entry: ModelEntry, seconds: float) -> list[Row]:
    from engine.inference.speech import SAMPLE_RATE, SpeechTranscriber
    from engine.media.audio import load_audio

    transcriber = SpeechTranscriber.from_pack(manifest, entry)
    clip = media.long_speech()
    rate = SAMPLE_RATE
    samples = load_audio(clip.path, rate).samples
    duration = len(samples) / rate
    segments = transcriber.transcribe(samples, rate)  # warm-up, and the words to score
    hypothesis = " ".join(segment.text for segment in segments)
    runs: list[float] = []
    start = time.perf_counter()
    while len(runs) < 2 or time.perf_counter() - start < seconds:
        began = time.perf_counter()
        transcriber.transcribe(samples, rate)
        runs.append(time.perf_counter() - began)
    real_time = duration / min(runs)
    # The encoder sees one padded 30 s window; its share of peak is timed on the bare session.
    window = np.zeros((1, 30 * rate), dtype=np.float32)
    window[0, : min(len(samples), window.shape[1])] = samples[: window.shape[1]]
    feed = {"waveform": window}
    encoder_file = manifest.path(entry, "encoder")
    cross_outputs = entry.outputs["encoder"]
    flops = count_flops(encoder_file, feed).flops
    encoder_flops, share = share_of_peak(
        lambda: transcriber.encoder.run(cross_outputs, feed), flops, seconds, rounds=3
    )
    row = Row(
        model=entry.id,
        workload=f"{duration:.0f} s espeak speech",
        batch=1,
        items_per_s=real_time,
        tried=f"{len(runs)} runs, best {min(runs):.2f} s; "
        f"WER {word_error_rate(clip.text, hypothesis):.0%}",
        flops_per_item=flops,
        model_flops_per_s=encoder_flops,
        share=share,
        rss_mib=peak_rss_mib(),
        min_rate=TARGET_REAL_TIME,
        unit="x real time",
        note="items/s column is the real-time factor; FLOPs are the encoder's (one 30 s window)",
    )
    return [row]


# The roles of a pack entry that are ONNX graphs (the rest: tokenizers, labels, JSON).
_GRAPH_ROLES = ("model", "encoder", "decoder")

_WORKLOADS: dict[Task, Callable[[Manifest, ModelEntry], list[Workload]]] = {
    Task.TEXT: _text_workloads,
    Task.IMAGE: _image_workloads,
    Task.AUDIO: _audio_workloads,
}


def bench_model(pack: Path, model_id: str, seconds: float, quality: bool = False) -> list[Row]:
    manifest = load_manifest(pack, verify=False)
    entry = manifest.get(model_id)
    return _annotated(manifest, entry, _rows(manifest, entry, seconds, quality))


def _rows(manifest: Manifest, entry: ModelEntry, seconds: float, quality: bool) -> list[Row]:
    try:
        if entry.task is Task.SPEECH:
            rows = _speech_rows(manifest, entry, seconds)
            if quality and entry.alternative_to:
                rows[0].quality = speech_agreement(manifest, entry)
            return rows
        if entry.task not in _WORKLOADS:
            return [Row(entry.id, entry.task.value, note="skipped: no benchmark for this task yet")]
        workloads = _WORKLOADS[entry.task](manifest, entry)
    except ImportError as error:  # the engine class is not written yet
        return [Row(entry.id, entry.task.value, note=f"skipped: engine class missing ({error})")]
    rows = [_measure(entry, workload, seconds) for workload in workloads]
    if quality and entry.task is Task.TEXT:
        rows[0].quality = text_retrieval(manifest, entry)
    return rows


def speech_agreement(manifest: Manifest, entry: ModelEntry) -> str:
    """Whether ``entry``'s greedy transcript of the speech test clip is word for word that of
    ``alternative_to``'s graphs (the WER against the script is in the row already)."""
    from engine.inference.speech import SAMPLE_RATE, SpeechTranscriber
    from engine.media.audio import load_audio

    samples = load_audio(media.long_speech().path, SAMPLE_RATE).samples
    transcripts = [
        " ".join(
            segment.text
            for segment in SpeechTranscriber.from_pack(manifest, model).transcribe(
                samples, SAMPLE_RATE
            )
        )
        for model in (entry, manifest.get(entry.alternative_to))
    ]
    if transcripts[0] == transcripts[1]:
        return f"transcript identical to {entry.alternative_to}'s"
    return (
        f"transcript differs from {entry.alternative_to}'s: WER between them "
        f"{word_error_rate(transcripts[1], transcripts[0]):.1%}"
    )


def _graph_files(manifest: Manifest, entry: ModelEntry) -> list[Path]:
    return [manifest.path(entry, role) for role in entry.files if role in _GRAPH_ROLES]


def load_milliseconds(paths: Sequence[Path]) -> float:
    """Opening a CPU session on each graph with the engine's options, best of LOAD_TRIES."""
    import onnxruntime as ort

    from engine.inference.providers import Device, choose, session_options

    placement = choose(Device.CPU)
    times = []
    for _ in range(LOAD_TRIES):
        start = time.perf_counter()
        for path in paths:
            ort.InferenceSession(
                str(path), session_options(placement), providers=["CPUExecutionProvider"]
            )
        times.append(time.perf_counter() - start)
    return 1000 * min(times)


def _annotated(manifest: Manifest, entry: ModelEntry, rows: list[Row]) -> list[Row]:
    """Every row of ``entry`` with its graph variant, file size and load time."""
    graphs = _graph_files(manifest, entry)
    size = sum(entry.files[role].bytes for role in entry.files if role in _GRAPH_ROLES) / 1e6
    load = load_milliseconds(graphs) if graphs else 0.0
    for row in rows:
        row.graph, row.megabytes, row.load_ms = entry.graph.variant.value, size, load
    return rows


# --- retrieval quality of a text graph variant (--variants) -------------------------------------


def text_retrieval(manifest: Manifest, entry: ModelEntry) -> str:
    """Stamp names as queries against every English caption: recall@1 (95% Wilson interval),
    and the mean cosine of the captions' vectors to those of ``alternative_to``'s graph.

    A retrieval figure with a known answer that runs in seconds (the quality benchmark takes
    ~15 min a variant on two cores); names and captions differ in wording ("lunar_lander" vs
    "The Apollo lunar lander module."), so the ranking depends on the vectors.
    """
    from engine.inference.text import TextEncoder
    from tests.benchmarks.lexical import wilson

    stamps = media.stamp_images()
    captions = [media.caption(stamp) for stamp in stamps]
    names = [stamp.stem.replace("_", " ") for stamp in stamps]
    encoder = TextEncoder.from_pack(manifest, entry)
    documents = encoder.encode(captions, kind="document")
    top = (encoder.encode(names, kind="query") @ documents.T).argmax(axis=1)
    # Stamps may share a caption: a hit is any caption equal to the stamp's own.
    hits = sum(captions[int(found)] == captions[row] for row, found in enumerate(top))
    low, high = wilson(hits, len(stamps))
    figure = f"recall@1 {hits}/{len(stamps)} = {hits / len(stamps):.1%} [{low:.1%}, {high:.1%}]"
    if entry.alternative_to:
        reference = TextEncoder.from_pack(manifest, manifest.get(entry.alternative_to))
        cosine = (reference.encode(captions, kind="document") * documents).sum(axis=1)
        figure += (
            f"; caption cosine to {entry.alternative_to}: mean {cosine.mean():.6f}, "
            f"min {cosine.min():.6f}"
        )
    return figure


# --- the whole pack: table and report -----------------------------------------------------------


def _run_child(pack: Path, model_id: str, seconds: float, quality: bool) -> list[Row]:
    command = [
        sys.executable,
        "-m",
        "tests.benchmarks.encoders",
        "--model",
        model_id,
        "--pack",
        str(pack),
        "--seconds",
        str(seconds),
        *(["--quality"] if quality else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return [Row(model_id, "?", note=f"failed: {last}")]
    return [Row(**row) for row in json.loads(done.stdout.strip().splitlines()[-1])]


def _format(rows: Sequence[Row]) -> str:
    header = (
        "| model | workload | batch | items/s | GFLOP/item | model GFLOP/s | % of peak "
        "| peak RSS MiB | target | met | graph | MB | load ms | batches tried (items/s), notes |"
    )
    lines = [header, "|" + "---|" * 14]
    for row in rows:
        if row.batch == 0:
            lines.append(f"| {row.model} | {row.workload} | | | | | | | | | | | | {row.note} |")
            continue
        share = f"{row.share:.0%}" if row.share else ""
        model_rate = f"{row.model_flops_per_s / 1e9:.1f}" if row.model_flops_per_s else ""
        met = {None: "", True: "yes", False: "NO"}[row.met()]
        notes = "; ".join(part for part in (row.tried, row.note, row.quality) if part)
        lines.append(
            f"| {row.model} | {row.workload} | {row.batch} | {row.items_per_s:.1f} "
            f"| {row.flops_per_item / 1e9:.3f} | {model_rate} | {share} | {row.rss_mib:.0f} "
            f"| {row.target()} | {met} | {row.graph} | {row.megabytes:.1f} | {row.load_ms:.0f} "
            f"| {notes} |"
        )
    return "\n".join(lines)


VARIANTS_NOTE = (
    "- Variants (`--variants`): `<model>@<variant>` is one build of the model's graph "
    "(models/export/variants.py): as-exported is the exporter's traced graph, fused-O1..O3 "
    "optimum's ORTOptimizer levels for the CPU (O3 approximates GELU), int8-dynamic "
    "ORTQuantizer's dynamic int8 of the O2 graph (per channel; per-tensor alongside), "
    "int8-weights the compact pack's downloaded int8 MiniLM (fp32 compute); Whisper's graphs "
    "are fused by ONNX Runtime's optimizer directly (model type bart). Quality: text, every "
    "Tux Paint stamp's name as a query against all English captions, recall@1 with its 95% "
    "Wilson interval, and the captions' cosine to the as-exported graph's; speech, WER on the "
    "espeak clip and whether the transcript is word for word the as-exported graphs'."
)


def _report(
    rows: Sequence[Row],
    peaks: Sequence[Peak],
    pack: Path,
    seconds: float,
    load: str,
    variants: bool = False,
) -> str:
    arguments = " ".join(sys.argv[1:])
    environment = f"TROVE_PACK={os.environ['TROVE_PACK']} " if "TROVE_PACK" in os.environ else ""
    command = f"{environment}{COMMAND} {arguments}".strip()
    return "\n".join(
        [
            f"- Date: {today()}",
            f"- Machine: {machine()}; load average {load}",
            f"- Command: `{command}` (pack `{pack}`, {seconds:g} s per measurement)",
            "- Peak (best float32 square matmul, sizes 1024-4096): "
            + "; ".join(peak.describe() for peak in peaks)
            + ".",
            "- items/s goes through the engine classes (tokenising, preprocessing, pooling "
            "included) at the best batch tried, best of "
            f"{ROUNDS} rounds; model GFLOP/s times the bare ONNX session on a ready batch (best "
            'round); "% of peak" is the median over rounds of that rate divided by a numpy '
            "2048x2048 matmul timed just before it in the same process, so that both see the "
            "same load; FLOPs count MatMul/Gemm/Conv multiply-adds as two (int8 models: "
            "integer operations; ONNX Runtime's fused Attention as its QKV projection plus "
            "its two score products); peak RSS is the model's own child process. graph: the "
            "variant the entry records; MB: its ONNX files; load ms: opening a CPU session on "
            f"each with the engine's options, best of {LOAD_TRIES}.",
            *([VARIANTS_NOTE] if variants else []),
            "",
            _format(rows),
        ]
    )


VARIANTS_TITLE = "Encoders: graph variants"


def variants_pack(source: Path) -> Path:
    """The graph variants pack (speech graphs from ``source``), built by the build
    environment's ``models.export.variants`` unless one built from today's exporters is
    already in the cache."""
    from models.devpack import KEY_FILE, is_current, source_key

    key = source_key()
    folder = cache_root() / "packs" / f"variants-{key[:16]}"
    if not is_current(folder, key):
        subprocess.run(
            [BUILD_PYTHON, "-m", "models.export.variants", "--out", folder, "--source", source],
            check=True,
        )
        (folder / KEY_FILE).write_text(key + "\n")
    return folder


def _machine_peaks() -> list[Peak]:
    ort_peak = onnxruntime_peak()
    return [numpy_peak(), *([ort_peak] if ort_peak else [])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, default=pack_folder())
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--model", help="benchmark this model only and print JSON (internal)")
    parser.add_argument("--no-write", action="store_true", help="do not update BENCHMARKS.md")
    parser.add_argument(
        "--variants", action="store_true", help="every graph variant of the text encoders"
    )
    parser.add_argument("--quality", action="store_true", help="with --model: add retrieval")
    args = parser.parse_args(argv)
    if args.model:
        rows = bench_model(args.pack, args.model, args.seconds, args.quality)
        print(json.dumps([asdict(row) for row in rows]))
        return 0
    if args.variants:
        args.pack = variants_pack(args.pack)
    manifest = load_manifest(args.pack)  # verify hashes once, before any timing
    load_before = os.getloadavg()[0]
    first = _machine_peaks()
    rows = [
        row
        for entry in manifest.models
        for row in _run_child(args.pack, entry.id, args.seconds, args.variants)
    ]
    # Measured again after the models, and the better of each kept: other processes only ever
    # lower a peak, and a peak measured low would inflate every share.
    peaks = [
        max(pair, key=lambda peak: peak.flops) for pair in zip(first, _machine_peaks(), strict=True)
    ]
    load = f"{load_before:.1f} before, {os.getloadavg()[0]:.1f} after (1-minute)"
    print(_format(rows))
    print(f"load average {load}")
    if not args.no_write:
        report = _report(rows, peaks, args.pack, args.seconds, load, args.variants)
        path = write_section(VARIANTS_TITLE if args.variants else "Encoders", report)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
