"""A pack's tag names in one language: what the window and ``trove search --language`` show.

A tag is stored as the English name the model's ``labels`` file gives its class ("African
elephant, Loxodonta africana"), or its ``concepts`` file gives a concept the classes group into
("elephant"); that name is its identity, kept in the catalog, the JSON and the reasons. Its
name in another language is chosen only where it is shown, from the pack's ``labels.<language>``
and ``concepts.<language>`` files of the same model, line for line. What a picture shows (a
SHOWS reason) names its likeliest classes by the first of their English names ("tabby,
Egyptian cat"): those first names map too.

A pack without the files (built before them), a language it has no file for, or a name it does
not know stays in English. A name is shown one way; the other names people use for it
(``synonyms.<language>``) only widen what a query matches (:func:`tags_named`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from engine.inference.concepts import Concepts
from models.manifest import Manifest, PackError, in_language

ENGLISH = "en"
# Where two classes share an English name (ImageNet has two "crane"s: the bird and the machine),
# the stored tag cannot tell which was meant: its name says both.
EITHER = " / "


@dataclass(frozen=True)
class TagNames:
    """English tag name -> its name in ``language``."""

    language: str = ENGLISH
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, label: str) -> str:
        """``label`` (an English tag name) in this language; itself where it has none."""
        return self.names.get(label, label)

    def shown(self, things: str) -> list[str]:
        """What a picture shows (first English names joined by ", ") as names in this
        language, in the same order, for the caller to join its own way."""
        return [self.name(thing) for thing in things.split(", ")] if things else []

    @classmethod
    def of_pack(cls, manifest: Manifest, language: str) -> TagNames:
        """The names the pack's classifiers give their classes in ``language`` (``"zh_CN"``,
        ``"es"``); none for English or a pack without such files."""
        if language == ENGLISH:
            return cls()
        labels: list[tuple[str, str]] = []
        concepts: list[tuple[str, str]] = []
        for entry in manifest.models:
            english = manifest.labels(entry)
            translated = manifest.labels(entry, language)
            if english is None or translated is None:
                continue
            labels += _paired(entry.id, english, translated)
            named = manifest.lines(entry, in_language("concepts", language))
            if named is not None and "concepts" in entry.files:
                grouped = Concepts.read(manifest.path(entry, "concepts"), len(english))
                concepts += _paired(entry.id, grouped.names, named)
        # A SHOWS reason names each class by its first English name; a whole name wins
        # ("maillot" is a class, and the first name of "maillot, tank suit").
        firsts = [(label.split(", ")[0], name) for label, name in labels]
        return cls(
            language,
            {**_one_name_each(firsts), **_one_name_each(concepts), **_one_name_each(labels)},
        )


def tags_named(manifest: Manifest) -> dict[str, list[str]]:
    """Every name the pack gives a tag in another language, and the other names its
    ``synonyms`` files give those, with the first English names of the tags it stands for
    (what a person asking in English types): ``"狮子"`` -> ``["lion"]`` (of "lion, king of
    beasts, Panthera leo"), ``"plátano"`` -> ``["banana"]``, ``"逆戟鲸"`` (shown as "虎鲸") ->
    ``["killer whale"]``."""
    languages = sorted(
        {
            role.removeprefix("labels.")
            for entry in manifest.models
            for role in entry.files
            if role.startswith("labels.")
        }
    )
    found: dict[str, list[str]] = {}
    for language in languages:
        for english, name in TagNames.of_pack(manifest, language).names.items():
            first = english.split(", ")[0]
            if EITHER not in name and first not in found.setdefault(name, []):
                found[name].append(first)
        # Another name a person may type ("逆戟鲸" for what the window shows as "虎鲸").
        for entry in manifest.models:
            for name, others in manifest.synonyms(entry, language).items():
                for other in others:
                    known = found.setdefault(other, [])
                    known += [tag for tag in found.get(name, []) if tag not in known]
    return found


def _paired(model: str, english: list[str], translated: list[str]) -> list[tuple[str, str]]:
    if len(translated) != len(english):
        raise PackError(f"model {model!r}: {len(translated)} names for {len(english)}")
    return list(zip(english, translated, strict=True))


def _one_name_each(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each English name with its translation; one with several (two classes called "crane")
    gets them all, joined by :data:`EITHER`."""
    found: dict[str, list[str]] = {}
    for english, name in pairs:
        names = found.setdefault(english, [])
        if name not in names:
            names.append(name)
    return {english: EITHER.join(names) for english, names in found.items()}


IN_ENGLISH = TagNames()  # the names as the models give them
