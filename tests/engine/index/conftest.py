from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from engine.catalog.catalog import Catalog
from tests.engine.index.milvus_server import NamespacedMilvus, unshare_refusal


def unit_vectors(count: int, dim: int, seed: int = 0) -> NDArray[np.float32]:
    vectors = np.random.default_rng(seed).standard_normal((count, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def vectors() -> NDArray[np.float32]:
    return unit_vectors(300, 16)


@pytest.fixture(scope="session")
def milvus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NamespacedMilvus]:
    """One real Milvus 2.3.5 server for the whole session, in a loopback-only namespace."""
    refusal = unshare_refusal()
    if refusal is not None:
        pytest.skip(refusal)
    server = NamespacedMilvus(tmp_path_factory.mktemp("milvus-server"))
    yield server
    server.close()


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    """A fresh catalog, for the tests of what it delivers to Milvus."""
    opened = Catalog(tmp_path / "catalog.sqlite3")
    yield opened
    opened.close()
