"""The good-match lines fitted for a pack (``Manifest.calibration``): the dev pack's, kept in
the repository, and the release gate that compares a newly fitted pack with them.

Fitting takes the quality benchmark (``tests/benchmarks/quality.py``, minutes of extraction), so
the dev pack's lines are committed in ``models/calibration/<pack>.json`` and the dev pack build
copies them into its manifest. The release pack is fitted at release time on the built pack,
and :func:`worse_than` stops the release when any route comes out worse than the dev pack's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path

from models.manifest import FittedLine, PackError

FOLDER = Path(__file__).parent / "calibration"
# How much worse a route may come out than the reference before the release stops: about one
# pair in a hundred of held-out recall, one in a thousand of false rate (the fits read the same
# pairs, so a larger move is the models', not the sampling's).
RECALL_SLACK = 0.01
FALSE_RATE_SLACK = 0.001


def committed(pack_name: str) -> Path:
    return FOLDER / f"{pack_name}.json"


def read_lines(path: Path) -> dict[str, FittedLine]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise PackError(f"cannot read the fitted lines in {path}: {error}") from error
    return {key: FittedLine.from_json(key, line) for key, line in data.items()}


def write_lines(path: Path, lines: Mapping[str, FittedLine]) -> None:
    data = {key: asdict(line) for key, line in sorted(lines.items())}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _route(route_key: str) -> str:
    """``space/modality/route`` -> ``modality/route``: what packs with other models share."""
    return route_key.split("/", 1)[1]


def worse_than(lines: Mapping[str, FittedLine], reference: Mapping[str, FittedLine]) -> list[str]:
    """Why ``lines`` (a new pack's fit) is worse than ``reference`` (the dev pack's, on the
    same media), one sentence per route; empty when it is not. Packs have different models, so
    routes are compared by ``modality/route``: the best held-out recall among a pack's spaces
    for the route, and the highest false rate among them."""
    problems = []
    for route in sorted({_route(key) for key in reference}):
        ours = [line for key, line in lines.items() if _route(key) == route]
        theirs = [line for key, line in reference.items() if _route(key) == route]
        if not ours:
            problems.append(f"{route}: no fitted line (the reference has one)")
            continue
        recall = max(line.held_out_recall for line in ours)
        wanted = max(line.held_out_recall for line in theirs)
        if recall < wanted - RECALL_SLACK:
            problems.append(f"{route}: held-out recall {recall:.3f} < {wanted:.3f}")
        false_rate = max(line.held_out_false_rate for line in ours)
        allowed = max(line.held_out_false_rate for line in theirs)
        if false_rate > allowed + FALSE_RATE_SLACK:
            problems.append(f"{route}: held-out false rate {false_rate:.4f} > {allowed:.4f}")
    return problems
