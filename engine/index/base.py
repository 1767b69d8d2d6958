"""Vector indexes behind one small interface, int64 ids, inner product on unit vectors."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Ids = NDArray[np.int64]
Vectors = NDArray[np.float32]


class VectorIndex(Protocol):
    """The seven methods every index kind offers; one contract test runs against each."""

    dim: int

    def load(self, path: Path) -> None: ...

    def add(self, ids: Ids, vectors: Vectors) -> None: ...

    def remove(self, ids: Ids) -> int: ...

    def search(self, queries: Vectors, k: int) -> tuple[NDArray[np.float32], Ids]: ...

    def count(self) -> int: ...

    def save(self, path: Path) -> None: ...

    def close(self) -> None: ...
