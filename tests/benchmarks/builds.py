"""Two builds of a pack's models on the same pairs: does the new build tell a match from noise
as well as the old one?

    .venv/bin/python -m tests.benchmarks.quality --no-write --pairs OLD.npz   # old pack
    .venv/bin/python -m tests.benchmarks.quality --no-write --pairs NEW.npz   # new pack
    .venv/bin/python -m tests.benchmarks.builds OLD.npz NEW.npz --old fp32 --new int8

The quality benchmark's calibration pairs (relevant and irrelevant raw scores per route key, from
the same queries and files) of both builds. Each good-match line is fitted where a share of the
irrelevant pairs pass it, and its held-out recall is read on half of the queries: two builds'
lines then sit at different false rates, and their recalls are not comparable (fp32 and int8
MiniLM's note lines: 0.303 at 0.53% against 0.269 at 0.35%). Here both builds are read at the
same false rates, on all pairs: the recall of the relevant pairs at the score that only that
share of irrelevant pairs reach, with a 95% interval of the difference from a paired bootstrap
over queries (both builds resampled alike), and the ROC area. Writes EVALUATION.md's section.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from tests.benchmarks import today, write_section
from tests.benchmarks.quality import REPORT

TITLE = "Good-match pairs: one build of a model against another"
FALSE_RATES = (0.001, 0.005, 0.02)
RESAMPLES = 1000
SEED = 7

Floats = NDArray[np.float64]


@dataclass(frozen=True)
class RoutePairs:
    """One route key's pairs from one build: scores and the query each came from."""

    relevant: Floats
    irrelevant: Floats
    relevant_group: NDArray[np.int64]
    irrelevant_group: NDArray[np.int64]

    def recall_at(self, false_rate: float, weights: tuple[NDArray[np.int64], ...] | None) -> float:
        """Relevant pairs at or over the score that ``false_rate`` of the irrelevant reach;
        ``weights`` repeat each pair (a bootstrap's draw of queries)."""
        relevant, irrelevant = self.relevant, self.irrelevant
        if weights is not None:
            relevant = np.repeat(relevant, weights[0])
            irrelevant = np.repeat(irrelevant, weights[1])
        line = np.quantile(irrelevant, 1.0 - false_rate)
        return float(np.mean(relevant >= line))

    def area(self) -> float:
        """The ROC area: the chance that a relevant pair outscores an irrelevant one."""
        ordered = np.sort(self.irrelevant)
        return float(np.mean(np.searchsorted(ordered, self.relevant) / len(ordered)))


def read_pairs(path: Path) -> dict[str, RoutePairs]:
    found = np.load(path)
    keys = sorted({name.split("|")[0] for name in found.files})
    return {
        key: RoutePairs(
            found[f"{key}|relevant"],
            found[f"{key}|irrelevant"],
            found[f"{key}|relevant|group"],
            found[f"{key}|irrelevant|group"],
        )
        for key in keys
    }


@dataclass(frozen=True)
class Difference:
    false_rate: float
    old: float
    new: float
    low: float  # 95% interval of new - old
    high: float


def compare(old: RoutePairs, new: RoutePairs, rng: np.random.Generator) -> list[Difference]:
    """Recall of both builds at each of :data:`FALSE_RATES`, the difference's interval drawn
    by resampling queries (the same draw for both builds: their pairs are the same pairs)."""
    if not (
        np.array_equal(old.relevant_group, new.relevant_group)
        and np.array_equal(old.irrelevant_group, new.irrelevant_group)
    ):
        raise ValueError("the two files do not hold the same pairs: run both on the same media")
    groups = np.unique(np.concatenate([old.relevant_group, old.irrelevant_group]))
    where = (
        np.searchsorted(groups, old.relevant_group),
        np.searchsorted(groups, old.irrelevant_group),
    )
    draws = []
    for _ in range(RESAMPLES):
        counts = np.bincount(rng.integers(0, len(groups), len(groups)), minlength=len(groups))
        draws.append((counts[where[0]], counts[where[1]]))
    differences = []
    for rate in FALSE_RATES:
        moved = [new.recall_at(rate, draw) - old.recall_at(rate, draw) for draw in draws]
        low, high = np.percentile(moved, [2.5, 97.5])
        differences.append(
            Difference(
                rate, old.recall_at(rate, None), new.recall_at(rate, None), float(low), float(high)
            )
        )
    return differences


def report(old: dict[str, RoutePairs], new: dict[str, RoutePairs], names: tuple[str, str]) -> str:
    rng = np.random.default_rng(SEED)
    head = " | ".join(
        f"recall at {rate:.1%} false, {names[0]} / {names[1]} [diff]" for rate in FALSE_RATES
    )
    lines = [
        f"- Date: {today()}",
        "- Command: `.venv/bin/python -m tests.benchmarks.builds OLD.npz NEW.npz "
        f"--old {names[0]} --new {names[1]}` (pairs from `tests.benchmarks.quality --pairs`)",
        f"- {RESAMPLES} paired bootstrap draws of queries; [diff] is {names[1]} - {names[0]}, "
        "95% interval.",
        "",
        f"| route key | pairs (rel / irr) | {head} | ROC area {names[0]} / {names[1]} |",
        "|---|---|" + "---|" * len(FALSE_RATES) + "---|",
    ]
    for key in sorted(set(old) & set(new)):
        cells = [
            f"{d.old:.3f} / {d.new:.3f} [{d.new - d.old:+.3f}; {d.low:+.3f}, {d.high:+.3f}]"
            for d in compare(old[key], new[key], rng)
        ]
        pairs = f"{len(old[key].relevant)} / {len(old[key].irrelevant)}"
        areas = f"{old[key].area():.4f} / {new[key].area():.4f}"
        lines.append(f"| `{key}` | {pairs} | {' | '.join(cells)} | {areas} |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path, help="pairs of the old build (.npz)")
    parser.add_argument("new", type=Path, help="pairs of the new build (.npz)")
    parser.add_argument("--old", dest="old_name", default="old", help="the old build's name")
    parser.add_argument("--new", dest="new_name", default="new", help="the new build's name")
    parser.add_argument("--what", default="", help="a line saying what the two builds are")
    parser.add_argument("--no-write", action="store_true", help="do not write EVALUATION.md")
    args = parser.parse_args(argv)
    body = report(read_pairs(args.old), read_pairs(args.new), (args.old_name, args.new_name))
    if args.what:
        body = f"- Builds: {args.what}\n{body}"
    print(body)
    if not args.no_write:
        print(f"wrote {write_section(TITLE, body, REPORT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
