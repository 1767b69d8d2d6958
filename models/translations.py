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
name (:meth:`engine.search.probes.ModelProbes.for_text`).

``models/labels/synonyms.<language>.txt`` holds, where a language has them, other names in
common use for a name those files give ("虎鲸: 逆戟鲸, 杀人鲸"): a person may type either, and
the window still shows the one. Each classifier's folder gets the lines of its own names as a
``synonyms.<language>`` file. Build-time only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from models.manifest import SYNONYMS, FileRef, file_ref, in_language, read_synonyms

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


def names_in(label_sets: Sequence[str], language: str) -> set[str]:
    """Every name the files of ``label_sets`` give in ``language``."""
    return {
        name
        for label_set in label_sets
        for name in label_file(label_set, language).read_text(encoding="utf-8").splitlines()
    }


def synonym_file(language: str) -> Path:
    return LABELS_FOLDER / f"{SYNONYMS}.{language}.txt"


def synonyms(language: str) -> dict[str, list[str]]:
    """The other names written for ``language``, by the name a label file gives."""
    path = synonym_file(language)
    if not path.is_file():
        return {}
    return read_synonyms(path.read_text(encoding="utf-8").splitlines(), str(path))


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


def write_synonyms(label_sets: Sequence[str], folder: Path, pack_dir: Path) -> dict[str, FileRef]:
    """Write ``<folder>/synonyms.<language>.txt``: the other names of the names ``label_sets``
    give in each language that has some; their manifest file roles."""
    files = {}
    for language in LANGUAGES:
        shown = names_in(label_sets, language)
        kept = {name: others for name, others in synonyms(language).items() if name in shown}
        if not kept:
            continue
        named = in_language(SYNONYMS, language)
        path = folder / f"{named}.txt"
        lines = [f"{name}: {', '.join(others)}\n" for name, others in kept.items()]
        path.write_text("".join(lines), encoding="utf-8")
        files[named] = file_ref(pack_dir, path)
    return files
