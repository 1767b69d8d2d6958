from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray


def unit_vectors(count: int, dim: int, seed: int = 0) -> NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def vectors() -> NDArray[np.float32]:
    return unit_vectors(300, 16)
