"""A copy of a model whose weights ONNX Runtime maps into memory instead of parsing and copying.

A pack's ``model.onnx`` keeps its weights inside the graph's protobuf, so every session opened on
it reads, parses and copies all of them: opening the 90 MB text model took 150 ms of a
``trove search`` on two cores. Weights kept in a file beside the graph ("external data") ONNX
Runtime maps instead, and the same model opens in 50 ms. So the first session of a query
encoder writes such a copy into the user's cache, with ONNX Runtime's own serialisation and
every graph optimisation off (the same graph and numbers, its weights moved), and later sessions
open the copy, optimised as usual when they load it.

A copy is named by the sha256 of its source (as the pack's manifest gives it, and checked when
the pack was opened) and by the ONNX Runtime version that wrote it. The stamps of its files
(size, times, inode, device) are noted beside them, and a copy whose files changed since is
made again. Where no copy can be made (a read-only cache, a full disk), the pack's own file is
opened.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import onnxruntime as ort

from models.sources import cache_root

log = logging.getLogger(__name__)

COPY_FOLDER = "mapped-models"
_GRAPH, _WEIGHTS, _STAMPS = "model.onnx", "model.data", "stamps.json"
# Tensors smaller than this stay inside the graph: mapping pays off for the big ones.
_SMALLEST_MAPPED = 1024


def mapped_copy(source: Path, sha256: str, cache: Path | None = None) -> Path:
    """The model file to open for ``source``: its copy, made now if missing or changed, or
    ``source`` itself where no copy can be made."""
    folder = (cache or cache_root() / COPY_FOLDER) / f"{sha256}-{ort.__version__}"
    if _intact(folder):
        return folder / _GRAPH
    try:
        _make(source, folder)
    except Exception as error:  # OSError, or ONNX Runtime's own untyped errors
        log.info("no mapped copy of %s (%s): opening the file itself", source, error)
        return source
    return folder / _GRAPH


def _intact(folder: Path) -> bool:
    """The copy is there, its files as they were written."""
    stamps = _stamps(folder)
    return stamps is not None and stamps == _noted(folder)


def _stamps(folder: Path) -> dict[str, list[int]] | None:
    stamps = {}
    for name in (_GRAPH, _WEIGHTS):
        try:
            found = (folder / name).stat()
        except OSError:
            if name == _GRAPH:
                return None
            continue  # a model without one tensor big enough to map has no weights file
        stamps[name] = [
            found.st_size,
            found.st_mtime_ns,
            found.st_ctime_ns,
            found.st_ino,
            found.st_dev,
        ]
    return stamps


def _noted(folder: Path) -> object:
    try:
        return json.loads((folder / _STAMPS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _make(source: Path, folder: Path) -> None:
    """Write the copy in a folder of its own, then move that folder into place whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    making = Path(tempfile.mkdtemp(prefix=".making-", dir=folder.parent))
    try:
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.optimized_model_filepath = str(making / _GRAPH)
        options.log_severity_level = 3
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_file_name", _WEIGHTS
        )
        options.add_session_config_entry(
            "session.optimized_model_external_initializers_min_size_in_bytes",
            str(_SMALLEST_MAPPED),
        )
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        (making / _STAMPS).write_text(json.dumps(_stamps(making)), encoding="utf-8")
        if folder.exists() and not _intact(folder):
            _set_aside(folder)  # a copy that changed since it was made
        try:
            os.rename(making, folder)
        except OSError:
            if not _intact(folder):  # not another process's copy, made meanwhile
                raise
    finally:
        shutil.rmtree(making, ignore_errors=True)


def _set_aside(folder: Path) -> None:
    """Move ``folder`` out of the way in one step, then delete it."""
    aside = Path(tempfile.mkdtemp(prefix=".changed-", dir=folder.parent))
    os.replace(folder, aside / folder.name)
    shutil.rmtree(aside, ignore_errors=True)
