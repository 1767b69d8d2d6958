"""Every graph variant of the packs' transformer models, for the encoders benchmark.

    .venv-build/bin/python -m models.export.variants --out DIR [--source DEV_PACK]

Writes a pack (manifest + files) whose entries are one model in each :class:`GraphVariant`:
the exporter's own graph (``<id>@as-exported``), optimum's fusion levels, dynamic int8 (per
channel and per tensor) and, for MiniLM, the compact pack's downloaded int8 file; and the
source pack's Whisper speech graphs as exported and fused by ONNX Runtime's optimizer. Every entry
but the as-exported one names it in ``alternative_to``: the graph its quality is measured
against. Build time only (torch, optimum).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from models.devpack import default_output
from models.export import bert
from models.export.optimise import TransformerShape, fuse_with_ort, write_variant
from models.manifest import (
    FileRef,
    GraphChoice,
    GraphVariant,
    Manifest,
    ModelEntry,
    Task,
    file_ref,
    load_manifest,
)

log = logging.getLogger(__name__)

PACK_NAME = "trove-graph-variants"
MADE_FROM_EXPORT = (
    GraphVariant.AS_EXPORTED,
    GraphVariant.FUSED_O1,
    GraphVariant.FUSED_O2,
    GraphVariant.FUSED_O3,
    GraphVariant.INT8_DYNAMIC,
    GraphVariant.INT8_DYNAMIC_PER_TENSOR,
)


def variant_id(model_id: str, variant: GraphVariant) -> str:
    return f"{model_id}@{variant.value}"


def sentence_variants(
    spec: bert.SentenceEncoderSpec, weights_dir: Path, pack_dir: Path
) -> list[ModelEntry]:
    """``spec``'s model traced once, then each variant written from that graph."""
    reference = variant_id(spec.model_id, GraphVariant.AS_EXPORTED)
    module = bert.load_bert(weights_dir, spec.shape)
    entries = []
    with tempfile.TemporaryDirectory(prefix="trove-variants-") as scratch:
        exported = bert.export_checked(spec, module, Path(scratch) / "model.onnx")
        for variant in MADE_FROM_EXPORT:
            target = pack_dir / variant_id(spec.model_id, variant) / "model.onnx"
            write_variant(exported, variant, target, spec.shape.config())
            shutil.copyfile(weights_dir / "tokenizer.json", target.with_name("tokenizer.json"))
            choice = GraphChoice(variant, "a benchmark variant")
            entry = bert.sentence_entry(spec, pack_dir, target, spec.notes, choice)
            alternative = "" if variant is GraphVariant.AS_EXPORTED else reference
            entries.append(replace(entry, alternative_to=alternative))
            log.info("  %s", entry.id)
    return entries


def shipped_int8_variant(pack_dir: Path) -> ModelEntry:
    """The compact pack's downloaded int8 MiniLM, fitted to the text I/O as the dev pack does."""
    spec = bert.MINILM_SPEC
    target = pack_dir / variant_id(spec.model_id, GraphVariant.INT8_WEIGHTS) / "model.onnx"
    bert.fit_shipped_int8(bert.shipped_int8_file(), target)
    shutil.copyfile(
        bert.minilm_weights_dir() / "tokenizer.json", target.with_name("tokenizer.json")
    )
    entry = bert.sentence_entry(spec, pack_dir, target, spec.notes, bert.INT8_WEIGHTS_GRAPH)
    reference = variant_id(spec.model_id, GraphVariant.AS_EXPORTED)
    return replace(entry, alternative_to=reference)


# ONNX Runtime names the fusion rules of encoder-decoder speech models after BART.
SPEECH_MODEL_TYPE = "bart"
SPEECH_GRAPHS = ("encoder", "decoder")


def speech_variants(source: Manifest, pack_dir: Path) -> list[ModelEntry]:
    """Each speech entry of ``source`` as exported, and with both graphs fused by ONNX
    Runtime's optimizer called directly: optimum reads the architecture from a transformers
    config, and Trove's Whisper (``models/arch``: log-mel inside, one KV-cache tensor per
    direction) has none."""
    entries = []
    for entry in source.by_task(Task.SPEECH):
        shape = TransformerShape(
            SPEECH_MODEL_TYPE, entry.dims["heads"], entry.dims["heads"] * entry.dims["head_dim"]
        )
        reference = variant_id(entry.id, GraphVariant.AS_EXPORTED)
        for variant in (GraphVariant.AS_EXPORTED, GraphVariant.FUSED_O2):
            folder = pack_dir / variant_id(entry.id, variant)
            files: dict[str, FileRef] = {}
            for role, ref in entry.files.items():
                target = folder / Path(ref.path).name
                folder.mkdir(parents=True, exist_ok=True)
                if variant is GraphVariant.FUSED_O2 and role in SPEECH_GRAPHS:
                    fuse_with_ort(source.path(entry, role), target, shape)
                else:
                    shutil.copyfile(source.path(entry, role), target)
                files[role] = file_ref(pack_dir, target)
            alternative = "" if variant is GraphVariant.AS_EXPORTED else reference
            choice = GraphChoice(variant, "a benchmark variant")
            entries.append(
                replace(
                    entry, id=folder.name, files=files, graph=choice, alternative_to=alternative
                )
            )
            log.info("  %s", folder.name)
    return entries


def build(output: Path, source: Path) -> Manifest:
    output.mkdir(parents=True, exist_ok=True)
    entries = sentence_variants(bert.MINILM_SPEC, bert.minilm_weights_dir(), output)
    entries.append(shipped_int8_variant(output))
    entries.extend(speech_variants(load_manifest(source), output))
    manifest = Manifest(PACK_NAME, "1", tuple(entries), output)
    manifest.write(output)
    return load_manifest(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.export.variants", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="pack folder to write")
    parser.add_argument(
        "--source", type=Path, default=default_output(), help="pack whose speech graphs to fuse"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    build(args.out, args.source)
    log.info("graph variants written to %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
