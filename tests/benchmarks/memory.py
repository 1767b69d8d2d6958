"""Peak memory of indexing one very large file, above the warmed real models.

Each case indexes one file in a child process with the dev pack's real models (Whisper, the
sound and image models, MiniLM) after a folder that fills every model's batch, and reports the
peak resident size above the size at that point (see :mod:`tests.engine.scan.memory_child`).
The test suite checks every case against 300 MB with the models' forward passes stood in
(``tests/engine/test_withstand_memory.py``); this is the same run on the real models.

    .venv/bin/python -m tests.benchmarks.memory [--case silence ...] [--no-write]

Every case by default: ~10 minutes on 2 cores, 5 of them real Whisper over three hours.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from models.sources import cache_root
from tests.benchmarks import machine, today, write_section
from tests.engine.scan import bigfiles

# case -> (what it is, how to make it in a folder)
CASES: dict[str, tuple[str, Callable[[Path], object]]] = {
    "silence": ("1-hour silent WAV, 44.1 kHz stereo", bigfiles.silent_hour),
    "speech": ("3-hour speech WAV, 16 kHz", bigfiles.speech_hours),
    "note": ("200 MB note", bigfiles.huge_note),
    "photo": ("100 MP JPEG (and a 100 MP PNG, refused)", bigfiles.hundred_megapixels),
    "video": ("10-hour video, 640x360, silent AAC", bigfiles.ten_hour_video),
    "forged": ("12 s video whose header says 10 hours", bigfiles.video_saying_ten_hours),
}
TIMEOUT = 3600


def measure(case: str, pack: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="trove-memory-") as scratch:
        root = Path(scratch)
        folder = root / "user"
        folder.mkdir()
        CASES[case][1](folder)
        warm = bigfiles.make_warm_folder(root / "warm")
        return bigfiles.index_alone(folder, warm, pack, root / "data", False, TIMEOUT)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", choices=sorted(CASES))
    parser.add_argument("--pack", type=Path, default=cache_root() / "packs" / "dev")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    rows = []
    for case in args.case or list(CASES):
        report = measure(case, args.pack)
        items = ", ".join(f"{count} {kind}" for kind, count in report["items"].items())
        line = (
            f"| {CASES[case][0]} | {report['above_mib']:.0f} MiB | {report['baseline_mib']:.0f} "
            f"MiB | {report['seconds']:.0f} s | {report['indexed']} indexed, "
            f"{report['failed']} refused | {items} |"
        )
        print(line, flush=True)
        rows.append(line)
    body = "\n".join(
        [
            f"{today()}; {machine()}; real models of the dev pack.",
            "",
            "Peak resident memory while indexing one file, above the resident size once the",
            "models are loaded and have run full batches (`python -m tests.benchmarks.memory`).",
            "",
            "| file | peak above the models | models | indexing time | outcome | items |",
            "|---|---|---|---|---|---|",
            *rows,
        ]
    )
    if not args.no_write:
        print(f"wrote {write_section('Memory per file', body)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
