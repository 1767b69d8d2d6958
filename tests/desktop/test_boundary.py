"""The desktop reaches the engine through its one front door, ``engine.facade``, and nothing else:
no engine internals, no model-pack internals (a check in the spirit of the engine's Qt one)."""

from __future__ import annotations

import ast
from pathlib import Path

DESKTOP = Path(__file__).resolve().parents[2] / "desktop"
FRONT_DOOR = "engine.facade"
BEHIND_THE_DOOR = ("engine", "models")


def imported_modules(source: Path) -> list[str]:
    """Every module a file imports, at any depth (imports inside functions included)."""
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.append(node.module)
    return found


def crossings() -> dict[str, list[str]]:
    """Per desktop file, the engine or models modules it imports other than the front door."""
    bad: dict[str, list[str]] = {}
    for source in sorted(DESKTOP.rglob("*.py")):
        wrong = [
            module
            for module in imported_modules(source)
            if module.split(".")[0] in BEHIND_THE_DOOR and module != FRONT_DOOR
        ]
        if wrong:
            bad[str(source.relative_to(DESKTOP))] = wrong
    return bad


def test_the_desktop_imports_only_the_engines_front_door() -> None:
    assert crossings() == {}


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from engine.facade import Trove\n"
        "def later():\n"
        "    from engine.search.planner import Planner\n"
        "    import models.manifest\n"
    )
    modules = imported_modules(sneaky)
    assert [m for m in modules if m.split(".")[0] in BEHIND_THE_DOOR and m != FRONT_DOOR] == [
        "engine.search.planner",
        "models.manifest",
    ]
