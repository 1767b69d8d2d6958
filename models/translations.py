"""Class names in other languages, written beside a classifier in its pack.

``models/labels/<set>.<language>.txt`` holds, line for line, the names of one label set
(``imagenet``: the 1000 ImageNet classes; ``concepts``: the WordNet concepts they group into,
in ``concepts.json``'s order; ``audioset``: AudioSet's 527 sounds) in Simplified Chinese, Spanish
and French: the common name a person would search for ("African elephant, Loxodonta
africana" is "非洲象", "elefante africano", "éléphant d'Afrique"), written for Trove (licences in
``models/labels/LICENCE.txt``). An exporter copies them into the pack as ``labels.<language>``
(or ``concepts.<language>``) files (:func:`models.manifest.in_language`) after checking that
they fit the English names it writes: same count, no empty line. The window shows the
names of its own language; a query that is a name in any of them also asks for the English
name (:meth:`engine.search.probes.ModelProbes.for_text`). Build-time only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from models.manifest import FileRef, file_ref, in_language

LABELS_FOLDER = Path(__file__).with_name("labels")
# The UI's languages besides English (desktop/i18n.py SHIPPED), and French: not a UI language
# yet, but asked in, and a multilingual text space misses short words across languages.
LANGUAGES = ("zh_CN", "es", "fr")
IMAGENET = "imagenet"
CONCEPTS = "concepts"
AUDIOSET = "audioset"


class TranslationError(ValueError):
    """A label file that does not fit its English names (another count, an empty line)."""


def label_file(label_set: str, language: str) -> Path:
    return LABELS_FOLDER / f"{label_set}.{language}.txt"


def translated(label_set: str, language: str, english: Sequence[str]) -> list[str]:
    """The names of ``label_set`` in ``language``, index for index with ``english``."""
    path = label_file(label_set, language)
    names = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    if len(names) != len(english):
        raise TranslationError(f"{path} has {len(names)} names for {len(english)} classes")
    empty = [index for index, name in enumerate(names) if not name]
    if empty:
        raise TranslationError(f"{path} has no name for classes {empty[:5]}")
    return names


def write_translations(
    label_set: str, english: Sequence[str], folder: Path, pack_dir: Path, role: str = "labels"
) -> dict[str, FileRef]:
    """Write ``<folder>/<role>.<language>.txt`` per language; their manifest file roles."""
    files = {}
    for language in LANGUAGES:
        named = in_language(role, language)
        path = folder / f"{named}.txt"
        path.write_text("\n".join(translated(label_set, language, english)) + "\n", "utf-8")
        files[named] = file_ref(pack_dir, path)
    return files
