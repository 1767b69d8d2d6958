"""What ImageNet classes are: WordNet 3.0 ancestors and glosses, as a small ``concepts`` file.

ImageNet's 1000 classes are WordNet 3.0 noun synsets (``n02109961`` is offset 02109961 of
``data.noun``), so WordNet says what each one is: a Siberian husky is a working dog, a dog, a
canine, a mammal, an animal. The image classifier's pack entry gets a ``concepts`` file (JSON)
beside its labels: per class, in logit order, its gloss and the indices of its ancestor
concepts; per concept, its lemma names. The engine reads it without WordNet itself (see
:mod:`engine.inference.concepts`): an image whose classes add up to "dog" is tagged "dog".

WordNet comes from Debian's ``wordnet-base`` (WordNet 3.0, the version ImageNet's ids are
offsets of), fetched with ``apt-get download`` and unpacked into the build cache at build time.
Licence: the WordNet 3.0 licence (Princeton University; use, copy, modify and distribute with
the copyright notice), kept in the file as ``notice``.

Ancestors nearer the root than :data:`MIN_DEPTH` ("entity", "object", "whole", "matter") and
the few abstract ones in :data:`TOO_VAGUE` are left out: they say nothing a person asks for.
Build-time only.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from models.sources import cache_root

PACKAGE = "wordnet-base"
DATA_NOUN = "usr/share/wordnet/data.noun"
NOTICE = (
    "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. Used under the "
    "WordNet 3.0 licence (Debian package wordnet-base); THIS SOFTWARE AND DATABASE IS PROVIDED "
    '"AS IS" AND PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR '
    "IMPLIED."
)
LICENCE = "WordNet-3.0"
# Hypernym steps from "entity": depth 4 keeps "food", "animal" (6), "artifact" (4, vague below).
MIN_DEPTH = 4
# Ancestors deep enough but too abstract to be a tag: first lemma of the synset.
TOO_VAGUE = frozenset(
    {
        "artifact",
        "living thing",
        "organism",
        "instrumentality",
        "commodity",
        "consumer goods",
        "durables",
        "natural object",
        "plant part",
        "plant organ",
        "reproductive structure",
        "restraint",
        "obstruction",
        "establishment",
        "covering",
        "protective covering",
        "device",
        "implement",
        "equipment",
        "structure",
        "container",
        "mechanism",
        "system",
        "surface",
        "support",
        "creation",
        "product",
    }
)
MAX_LEMMAS = 3  # of a concept's tag text: "dog, domestic dog, Canis familiaris"


class WordNetError(RuntimeError):
    """WordNet could not be fetched, or does not hold a synset ImageNet names."""


@dataclass(frozen=True)
class Synset:
    lemmas: tuple[str, ...]
    hypernyms: tuple[str, ...]  # offsets, instance hypernyms included
    gloss: str


def data_noun() -> Path:
    """WordNet 3.0's noun database, from Debian's package, unpacked into the build cache."""
    folder = cache_root() / "wordnet"
    target = folder / "unpacked" / DATA_NOUN
    if target.is_file():
        return target
    debs = folder / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        if not sorted(debs.glob(f"{PACKAGE}_*.deb")):
            subprocess.run(["apt-get", "download", PACKAGE], cwd=debs, check=True)
        found = sorted(debs.glob(f"{PACKAGE}_*.deb"))
        if not found:
            raise WordNetError(f"apt-get download {PACKAGE} left no .deb in {debs}")
        subprocess.run(["dpkg-deb", "-x", str(found[-1]), str(folder / "unpacked")], check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise WordNetError(f"cannot fetch {PACKAGE}: {error}") from error
    if not target.is_file():
        raise WordNetError(f"{PACKAGE} has no {DATA_NOUN}")
    return target


def read_nouns(path: Path) -> dict[str, Synset]:
    """Every noun synset of a WordNet ``data.noun`` file (see wndb(5WN)), by offset."""
    synsets: dict[str, Synset] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("  "):  # the licence header
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            count = int(fields[3], 16)
            lemmas = tuple(fields[4 + 2 * i].replace("_", " ") for i in range(count))
            at = 4 + 2 * count
            pointers = int(fields[at])
            hypernyms = []
            for start in range(at + 1, at + 1 + 4 * pointers, 4):
                symbol, offset, pos = fields[start : start + 3]
                if symbol in ("@", "@i") and pos == "n":
                    hypernyms.append(offset)
            synsets[fields[0]] = Synset(lemmas, tuple(hypernyms), gloss.strip())
    return synsets


def _lemma_text(lemmas: tuple[str, ...]) -> str:
    return ", ".join(dict.fromkeys(lemmas[:MAX_LEMMAS]))


def _depths(synsets: dict[str, Synset]) -> dict[str, int]:
    """Fewest hypernym steps from each synset to a root."""
    depths: dict[str, int] = {}

    def depth(offset: str) -> int:
        if offset not in depths:
            parents = synsets[offset].hypernyms
            depths[offset] = 0 if not parents else 1 + min(depth(p) for p in parents)
        return depths[offset]

    for offset in synsets:
        depth(offset)
    return depths


def _ancestors(synsets: dict[str, Synset], offset: str) -> list[str]:
    """Every hypernym of ``offset`` over all paths, nearest first (breadth first)."""
    found: list[str] = []
    frontier = [offset]
    while frontier:
        following = []
        for current in frontier:
            for parent in synsets[current].hypernyms:
                if parent not in found:
                    found.append(parent)
                    following.append(parent)
        frontier = following
    return found


def concepts(wnids: list[str], synsets: dict[str, Synset]) -> dict[str, object]:
    """The ``concepts`` file's content for classes ``wnids`` (``n02109961``...), in order."""
    depths = _depths(synsets)
    names: list[str] = []
    index_of: dict[str, int] = {}
    classes = []
    for wnid in wnids:
        offset = wnid.removeprefix("n")
        if offset not in synsets:
            raise WordNetError(f"WordNet 3.0 has no noun synset {wnid}")
        kept = []
        for ancestor in _ancestors(synsets, offset):
            lemmas = synsets[ancestor].lemmas
            if depths[ancestor] < MIN_DEPTH or lemmas[0] in TOO_VAGUE:
                continue
            if ancestor not in index_of:
                index_of[ancestor] = len(names)
                names.append(_lemma_text(lemmas))
            kept.append(index_of[ancestor])
        classes.append({"wnid": wnid, "gloss": synsets[offset].gloss, "ancestors": kept})
    return {"notice": NOTICE, "concepts": names, "classes": classes}


def write_concepts(path: Path, wnids: list[str]) -> Path:
    """Write the ``concepts`` file for these ImageNet classes to ``path``."""
    content = concepts(wnids, read_nouns(data_noun()))
    path.write_text(json.dumps(content, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    return path
