"""Small vector helpers shared by every encoder."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_TINY = 1e-12


def l2_normalize(vectors: NDArray[np.floating]) -> NDArray[np.float32]:
    """Rows scaled to unit length, as float32; an all-zero row stays zero instead of NaN."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return matrix / np.maximum(norms, _TINY)
