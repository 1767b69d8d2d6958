"""What an image classifier's classes are: the ``concepts`` file of its pack entry.

Written at build time from WordNet 3.0 (:mod:`models.export.wordnet`): per class, in logit
order, its gloss and the indices of its ancestor concepts ("dog", "mammal", "animal"...); per
concept, its lemma names. A concept's probability is the sum of its member classes'
probabilities, so a picture the classifier splits between a husky and a malamute is a dog with
the two together; the most probable concepts become tags beside the top classes, so "a dog" or
"an animal" finds the picture by the word itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.manifest import PackError

# A concept must hold this share of the picture's probability to be a tag.
CONCEPT_FLOOR = 0.2
# At most this many concept tags per picture, most probable first.
MAX_CONCEPT_TAGS = 12


@dataclass(frozen=True)
class Concepts:
    names: list[str]  # per concept: its tag text ("dog, domestic dog, Canis familiaris")
    glosses: list[str]  # per class
    ancestors: list[list[int]]  # per class: its concepts, nearest first
    members: NDArray[np.float32]  # (classes, concepts): 1 where the class is a kind of it

    @classmethod
    def read(cls, path: Path, classes: int) -> Concepts:
        """The file at ``path``, for a classifier of ``classes`` classes."""
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
            names = [str(name) for name in content["concepts"]]
            rows = content["classes"]
            glosses = [str(row["gloss"]) for row in rows]
            ancestors = [[int(i) for i in row["ancestors"]] for row in rows]
            members = np.zeros((len(rows), len(names)), np.float32)
            for at, found in enumerate(ancestors):
                members[at, found] = 1.0
        except (OSError, ValueError, KeyError, TypeError, IndexError) as error:
            raise PackError(f"{path} is not a concepts file: {error}") from error
        if len(rows) != classes:
            raise PackError(f"{path} describes {len(rows)} classes, the model has {classes}")
        return cls(names, glosses, ancestors, members)

    def document(self, label: str, index: int, kinds: int = 3) -> str:
        """What class ``index`` (named ``label``) is, in words, for a text model: "Siberian
        husky, a kind of sled dog, working dog, dog: breed of sled dog developed in ..."."""
        nearest = [self.names[i].split(", ")[0] for i in self.ancestors[index][:kinds]]
        kind = f", a kind of {', '.join(nearest)}" if nearest else ""
        return f"{label}{kind}: {self.glosses[index]}"

    def probabilities(self, classes: NDArray[np.float32]) -> NDArray[np.float32]:
        """Each concept's probability (n, concepts) from the classes' (n, classes)."""
        return np.clip(classes @ self.members, 0.0, 1.0).astype(np.float32)

    def tags(
        self,
        classes: NDArray[np.float32],
        floor: float = CONCEPT_FLOOR,
        limit: int = MAX_CONCEPT_TAGS,
    ) -> list[tuple[str, float]]:
        """The concepts of one picture (class probabilities, 1-d) at or above ``floor``, most
        probable first (ties: the nearer ancestor first), at most ``limit``."""
        found = self.probabilities(classes[None, :])[0]
        order = np.argsort(-found, kind="stable")[:limit]
        return [(self.names[i], float(found[i])) for i in order if found[i] >= floor]
