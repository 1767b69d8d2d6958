"""Image preprocessing parity: what Trove feeds each image model against the transform the model
was evaluated with, and what the one shortcut (a large JPEG decoded at half size) costs and saves.

    .venv/bin/python -m tests.benchmarks.preprocessing [--no-write]

Per photo (real media, several shapes and encodings: :func:`tests.reference_preprocessing.photos`)
and per transform (:mod:`tests.reference_preprocessing`), the largest and the mean absolute
difference after normalisation between the indexer's pixels and the reference's; for the dev
pack's EfficientNet-Lite0, the cosine between the embeddings of the two. Then the decode time of
a 12 MP JPEG at the scales libjpeg offers (best of ``ROUNDS``), with the embedding's cosine to the
full decode's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from functools import partial
from pathlib import Path

import numpy as np

from engine.inference.image import INPUT, ImageEncoder
from engine.media.images import load_image, scaled
from engine.scan.extract import JPEG_HALF_GAP
from models.manifest import load_manifest
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.encoders import pack_folder
from tests.reference_preprocessing import (
    LITE0,
    TRANSFORMS,
    as_preprocessing,
    decoded_in_full,
    photos,
    trove_pixels,
)

COMMAND = ".venv/bin/python -m tests.benchmarks.preprocessing"
ROUNDS = 5
BIG_JPEG = "12 MP JPEG (china)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    manifest = load_manifest(pack_folder())
    encoder = ImageEncoder.from_pack(manifest, manifest.get("efficientnet-lite0"))

    def embedding(pixels: np.ndarray) -> np.ndarray:
        (found,) = encoder.session.run(["embedding"], {INPUT: pixels[None]})
        return found[0] / np.linalg.norm(found[0])

    rows, timing = [], []
    with tempfile.TemporaryDirectory() as folder:
        shots = photos(Path(folder))
        for name, path in shots.items():
            cells = []
            for transform in TRANSFORMS:
                ours, reference = trove_pixels(path, transform), transform(path)
                gap = np.abs(ours - reference)
                cells.append(f"{gap.max():.4f} / {gap.mean():.4f}")
            lite0 = float(embedding(trove_pixels(path, LITE0)) @ embedding(LITE0(path)))
            decode = "full" if decoded_in_full(path, LITE0) else "half size"
            rows.append(f"| {name} | {decode} | {' | '.join(cells)} | {lite0:.5f} |")
        full_pixels = LITE0(shots[BIG_JPEG])
        reference = embedding(full_pixels)
        # Decoded (at each scale libjpeg offers) and scaled for Lite0 as the indexer does.
        lite0 = as_preprocessing(LITE0)
        decodes = {f"1/{n}": partial(load_image, jpeg_scale=n) for n in (8, 4, 2, 1)}
        for label, decode in decodes.items():
            best = np.inf
            for _ in range(ROUNDS):
                started = time.perf_counter()
                image = decode(shots[BIG_JPEG])
                ready = scaled(image, lite0)
                best = min(best, time.perf_counter() - started)
            seen = encoder.encode([ready])[0]
            timing.append(
                f"| {label} | {image.width}x{image.height} | {best * 1000:.0f} | "
                f"{float(seen @ reference):.5f} |"
            )
    names = " | ".join(f"{t.name}: max / mean" for t in TRANSFORMS)
    body = "\n".join(
        [
            f"`{COMMAND}` on {machine()}, {today()}.",
            "",
            "Trove's image path (the indexer's decode and decode-thread scaling, the encoder's "
            "crop and normalisation) against each model's evaluation transform written out in "
            "Pillow and numpy (`tests/reference_preprocessing.py`; the manifest records "
            "resize, crop and interpolation per model), absolute difference after "
            "normalisation; last column: cosine of the dev pack's Lite0 embeddings of the two. "
            f"Target (issue 13): max < 0.02. Lite0 records {as_preprocessing(LITE0).to_json()}.",
            "",
            f"| photo | decoded | {names} | Lite0 cosine |",
            "|---|---|---|---|---|---:|",
            *rows,
            "",
            f"A JPEG whose half size keeps {JPEG_HALF_GAP} times the side a model scales to is "
            "decoded by libjpeg at half size, never smaller (smaller scales stray further, "
            "below; at 3.4 MP, half size strays up to 0.31 per pixel: decoded in full). Decode "
            f"time of the {BIG_JPEG.split(' (')[0]} with a camera's grain, decoded and scaled "
            f"for Lite0 (best of {ROUNDS}), and the Lite0 embedding's cosine to the reference's, "
            "per scale (at full scale, over 32 MB decoded, it is reduced by a whole factor right "
            "after decoding, a strip at a time; the decoded column is after that):",
            "",
            "| libjpeg scale | decoded | decode + scale ms | cosine |",
            "|---|---|---:|---:|",
            *timing,
        ]
    )
    print(body)
    if not args.no_write:
        write_section("Image preprocessing parity", body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
