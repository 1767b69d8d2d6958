"""The dev pack with its tag names in Chinese, Spanish and French, for tests that show them.

A dev pack built by today's exporters already holds the files (``labels.<language>``,
``concepts.<language>``, ``synonyms.<language>``): it is used as it is. One built before them
is linked, file by file, into a folder of the test's, and the files are added there by the
exporters' own writer, so that such tests run before the shared pack is rebuilt, and never
change it.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from models.manifest import SYNONYMS, Manifest, ModelEntry, Task, in_language, load_manifest
from models.translations import CONCEPTS, IMAGENET, write_synonyms, write_translations


def pack_with_tag_names(pack: Manifest, folder: Path) -> Path:
    """The folder of ``pack`` if its image model has the files, else a copy in ``folder``."""
    image = next(entry for entry in pack.models if entry.task is Task.IMAGE)
    if in_language(SYNONYMS, "zh_CN") in image.files:
        return pack.root
    for path in pack.root.rglob("*"):
        target = folder / path.relative_to(pack.root)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.name != "manifest.json":
            target.symlink_to(path)
    models = tuple(_named(pack, entry, folder) for entry in pack.models)
    pack.with_models(models, folder).write(folder)
    load_manifest(folder)  # every hash checked, as the engine will
    return folder


def _named(pack: Manifest, entry: ModelEntry, folder: Path) -> ModelEntry:
    labels = pack.labels(entry)
    if entry.task is not Task.IMAGE or labels is None or "concepts" not in entry.files:
        return entry
    concepts = json.loads(pack.path(entry, "concepts").read_text(encoding="utf-8"))["concepts"]
    place = folder / entry.id
    files = {
        **entry.files,
        **write_translations(IMAGENET, labels, place, folder),
        **write_translations(CONCEPTS, concepts, place, folder, role="concepts"),
        **write_synonyms([IMAGENET, CONCEPTS], place, folder),
    }
    return replace(entry, files=files)
