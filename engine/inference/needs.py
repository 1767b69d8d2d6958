"""What an encoder class needs of a manifest entry, checked before any model file is opened.

The manifest reader has already checked each entry's preprocessing against its task (see
:func:`models.manifest.read_preprocessing`); what is left is whether this entry fits this
class: its task, the widths it reads, its graphs' tensor names, its files and its labels.
Every encoder declares a :class:`Needs` and gets its typed preprocessing back from
:meth:`Needs.check`, or one :class:`PackError` with every reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from models.manifest import ModelEntry, PackError, Preprocessing

P = TypeVar("P", bound=Preprocessing)

EMBEDDING = "embedding"


@dataclass(frozen=True)
class Graph:
    """One ONNX graph of an entry, by its file role: the inputs it takes (exactly these, in
    this order) and the outputs the encoder asks it for. An entry that lists no tensor names
    for the graph is taken at its word that they are these."""

    role: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def problems(self, entry: ModelEntry) -> list[str]:
        found = []
        if self.role not in entry.files:
            found.append(f"no {self.role!r} file")
        inputs = entry.inputs.get(self.role, list(self.inputs))
        if inputs != list(self.inputs):
            found.append(f"{self.role} inputs {inputs} are not {list(self.inputs)}")
        outputs = entry.outputs.get(self.role, list(self.outputs))
        found += [
            f"{self.role} outputs {outputs} have no {name!r}"
            for name in self.outputs
            if name not in outputs
        ]
        return found


@dataclass(frozen=True)
class Needs(Generic[P]):
    """``what`` names the class in errors ("an image encoder"). ``scores`` is the output that
    a labels file names, index for index, for a model that also classifies."""

    what: str
    preprocessing: type[P]
    graphs: tuple[Graph, ...]
    dims: tuple[str, ...] = (EMBEDDING,)
    files: tuple[str, ...] = ()
    scores: str | None = None

    def check(
        self,
        entry: ModelEntry,
        labels: list[str] | None = None,
        more: Callable[[ModelEntry, P], Iterable[str]] | None = None,
    ) -> P:
        """The entry's preprocessing, typed, if this class can run the entry; ``more`` adds
        the class's own reasons (it is asked only when the task is right)."""
        problems = []
        pre = entry.preprocessing
        task = self.preprocessing.task
        if not isinstance(pre, self.preprocessing):  # the manifest ties the kind to the task
            problems.append(f"task is {entry.task.value!r}, not {task.value!r}")
        problems += [f"dims has no {name!r}" for name in self.dims if name not in entry.dims]
        for graph in self.graphs:
            problems += graph.problems(entry)
        problems += [f"no {role!r} file" for role in self.files if role not in entry.files]
        if labels is not None:
            problems += self._label_problems(entry, labels)
        if more is not None and isinstance(pre, self.preprocessing):
            problems += more(entry, pre)
        if problems or not isinstance(pre, self.preprocessing):
            reasons = "; ".join(problems)
            raise PackError(f"model {entry.id!r} cannot be used as {self.what}: {reasons}")
        return pre

    def _label_problems(self, entry: ModelEntry, labels: list[str]) -> list[str]:
        scores = self.scores
        outputs = [name for graph in self.graphs for name in entry.outputs.get(graph.role, [])]
        if scores is None or scores not in outputs or scores not in entry.dims:
            return [f"labels are given but the model has no {scores or 'scores'!r} output"]
        if len(labels) != entry.dims[scores]:
            return [f"{len(labels)} labels for {entry.dims[scores]} {scores}"]
        return []
