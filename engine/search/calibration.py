"""Per-space calibration: raw similarities -> comparable, probability-like scores.

A cosine of 0.4 means a near miss in one space and a sure match in another, so the raw numbers
of different spaces cannot be merged. Every *route key* ``space/modality/route`` (the model
space searched, what the query was: ``text``, ``image`` or ``audio``, and what kind of item
answered: ``visual``, ``tag``, ``transcript``, ``note`` or ``sound``) has a :class:`Calibration`:

    score = 1 / (1 + exp(-slope * (raw - threshold)))

``raw`` is the cosine, except for tags, where it is ``cosine * sqrt(tag probability)`` so that a
confident tag outranks a guess about the same word. The two numbers are fitted on real data by
``tests/benchmarks/quality.py`` (pairs known relevant and pairs known irrelevant, from the Tux
Paint stamps: same category folder, a stamp's own caption, cuts of one sound...):

- ``slope``: a logistic regression of relevant (1) vs irrelevant (0) on ``raw``, the two classes
  weighted equally, so the slope says how fast evidence grows with similarity in that space;
- ``threshold``: the larger of the regression's 50 % point and the raw score that only
  ``max_false_rate`` of the irrelevant pairs reach. Every space's threshold therefore maps to
  score 0.5, the one line between a good match and noise that the planner applies everywhere.

The fitted lines travel with the models they were fitted for: in the pack's manifest
(``calibration``), written by ``quality.py --write-calibration`` (for the release pack, by the
release workflow on the built pack). Keys the pack has no line for fall back to a cautious
default per ``modality/route``, and the planner says so in its notes.

Near-duplicates (:mod:`engine.search.duplicates`) keep their line here too, under the route
:data:`DUPLICATE` (``efficientnet-lite0/image/duplicate``): two files of a space are the same
picture or recording when their cosine reaches its threshold. That line is fitted by
``tests/benchmarks/duplicates.py`` on copies made from real media against unrelated files of the
same folder, and kept in the same manifest lines.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from models.manifest import Manifest

GOOD_MATCH = 0.5  # every calibrated score at or above this is a good match
# A strong match: the slope's evidence is well past the line (raw above the threshold by
# ln(4) / slope). Front ends word a score by its band instead of showing decimals.
STRONG_MATCH = 0.8
DEFAULT_MAX_FALSE_RATE = 0.005


@dataclass(frozen=True)
class Calibration:
    slope: float
    threshold: float

    def score(self, raw: float) -> float:
        return 1.0 / (1.0 + math.exp(-self.slope * (raw - self.threshold)))

    def scores(self, raw: ArrayLike) -> np.ndarray:
        values = np.asarray(raw, dtype=np.float64)
        return np.asarray(1.0 / (1.0 + np.exp(-self.slope * (values - self.threshold))))


def fit(
    relevant: ArrayLike,
    irrelevant: ArrayLike,
    max_false_rate: float = DEFAULT_MAX_FALSE_RATE,
    iterations: int = 50,
) -> Calibration:
    """Fit a :class:`Calibration` to raw scores of relevant and irrelevant pairs (see module)."""
    positive = np.asarray(relevant, dtype=np.float64).ravel()
    negative = np.asarray(irrelevant, dtype=np.float64).ravel()
    if positive.size < 2 or negative.size < 2:
        raise ValueError("fitting needs at least two relevant and two irrelevant scores")
    x = np.concatenate([positive, negative])
    y = np.concatenate([np.ones_like(positive), np.zeros_like(negative)])
    # Balanced weights: each class counts as much as the other, whatever their sizes.
    weight = np.where(y == 1, 0.5 / positive.size, 0.5 / negative.size)
    features = np.stack([x, np.ones_like(x)], axis=1)
    params = np.zeros(2)
    # Newton's method on the weighted log-loss, with a small ridge so separable data stays finite.
    ridge = 1e-4
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(features @ params)))
        gradient = features.T @ (weight * (p - y)) + ridge * params
        hessian = (features.T * (weight * p * (1 - p))) @ features + ridge * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        params -= step
        if np.abs(step).max() < 1e-9:
            break
    slope, intercept = float(params[0]), float(params[1])
    if slope <= 0:
        raise ValueError("relevant pairs do not score higher than irrelevant ones; cannot fit")
    midpoint = -intercept / slope
    strict = float(np.quantile(negative, 1.0 - max_false_rate))
    return Calibration(slope=slope, threshold=max(midpoint, strict))


def key(space: str, modality: str, route: str) -> str:
    return f"{space}/{modality}/{route}"


# The route of near-duplicates: a file's own vector against another file's, in one space.
DUPLICATE = "duplicate"

# Cautious stand-ins by ``modality/route`` for spaces not yet fitted: thresholds near the top
# of what unrelated pairs score with typical models of each kind.
DEFAULTS: Mapping[str, Calibration] = {
    "text/visual": Calibration(slope=30.0, threshold=0.28),
    "image/visual": Calibration(slope=15.0, threshold=0.75),
    "text/tag": Calibration(slope=12.0, threshold=0.6),
    "text/shows": Calibration(slope=12.0, threshold=0.6),
    "text/transcript": Calibration(slope=12.0, threshold=0.5),
    "text/note": Calibration(slope=12.0, threshold=0.5),
    "audio/sound": Calibration(slope=15.0, threshold=0.85),
    "text/picture-text": Calibration(slope=12.0, threshold=0.5),
    # Copies lie far closer than anything a search calls a match.
    "image/duplicate": Calibration(slope=60.0, threshold=0.9),
    "audio/duplicate": Calibration(slope=60.0, threshold=0.97),
}

# A route without a fit of its own in a space takes that space's fit of a route whose items
# are alike: a line read in a picture is a few words, as a transcript's segment is. So a refit
# of the transcript line moves picture text too (tests/engine/scan/test_picture_text.py says
# whether screenshots still rank).
BORROWED: Mapping[str, str] = {"picture-text": "transcript"}


class CalibrationTable:
    """Looks up the calibration of a route key: fitted, else the default of its kind."""

    def __init__(self, fitted: Mapping[str, Calibration] | None = None) -> None:
        self.fitted = dict(fitted or {})

    @classmethod
    def of(cls, manifest: Manifest) -> CalibrationTable:
        """The lines fitted for a pack's models, as its manifest carries them."""
        return cls(
            {k: Calibration(line.slope, line.threshold) for k, line in manifest.calibration.items()}
        )

    def get(self, space: str, modality: str, route: str) -> tuple[Calibration, bool]:
        """The calibration and whether it was fitted for this very space (for a route that
        borrows, see :data:`BORROWED`, the fit of the route it borrows from counts)."""
        found = self.fitted.get(key(space, modality, route))
        if found is None and route in BORROWED:
            found = self.fitted.get(key(space, modality, BORROWED[route]))
        if found is not None:
            return found, True
        default = DEFAULTS.get(f"{modality}/{route}")
        if default is None:
            raise KeyError(f"no calibration for {modality} queries on {route} items")
        return default, False
