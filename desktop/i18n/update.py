"""Refresh the translation sources from the desktop code, then compile them.

    .venv/bin/python desktop/i18n/update.py              # update trove_*.ts here, write .qm
    .venv/bin/python desktop/i18n/update.py --into DIR   # update copies in DIR, tree untouched
    .venv/bin/python desktop/i18n/update.py --missing    # list the strings still untranslated
    .venv/bin/python desktop/i18n/update.py --fill T.json  # take translations from a file

lupdate keeps every existing translation, adds new strings as "unfinished" and drops strings
the code no longer has. Translate the unfinished ones in Qt Linguist (``pyside6-linguist``), by
editing the XML, or with ``--fill`` from JSON shaped ``{"zh_CN": {"English": "中文"}, "es": ...}``
(a list of forms for a ``%n`` plural), then run this again (or ``./dev i18n``) to compile.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parent
DESKTOP = HERE.parent


def tool(name: str) -> str:
    """A PySide6 tool of this interpreter's environment (its ``bin``), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} not found: is PySide6 installed in this environment?")
    return found


def sources() -> list[Path]:
    """Every Python file of the desktop package. lupdate reads Python only when given files
    by name (a folder is scanned for C++/QML extensions)."""
    return sorted(path for path in DESKTOP.rglob("*.py") if HERE not in path.parents)


def lupdate(ts_files: Sequence[Path]) -> None:
    subprocess.run(
        [tool("pyside6-lupdate"), "-silent", "-locations", "none", "-no-obsolete"]
        + [str(path) for path in sources()]
        + ["-ts", *(str(path) for path in ts_files)],
        check=True,
        capture_output=True,
    )


def lrelease(ts_file: Path, qm_file: Path) -> None:
    subprocess.run(
        [tool("pyside6-lrelease"), "-silent", str(ts_file), "-qm", str(qm_file)],
        check=True,
        capture_output=True,
    )


def language(ts_file: Path) -> str:
    """The ``language`` attribute of a .ts file: ``zh_CN``, ``es``."""
    return ET.parse(ts_file).getroot().get("language", "")


def missing(ts_file: Path) -> list[str]:
    """The source texts of ``ts_file`` without a finished, non-empty translation."""
    found = []
    for message in ET.parse(ts_file).getroot().iter("message"):
        translation = message.find("translation")
        source = message.findtext("source", "")
        if translation is None or translation.get("type") in ("unfinished", "obsolete"):
            found.append(source)
            continue
        forms = translation.findall("numerusform") if message.get("numerus") == "yes" else []
        texts = [form.text for form in forms] if forms else [translation.text]
        if not all(text and text.strip() for text in texts):
            found.append(source)
    return found


def fill(ts_file: Path, translations: dict[str, str | list[str]]) -> int:
    """Write ``translations`` (source -> text, or plural forms) into the unfinished messages of
    ``ts_file``; returns how many it filled."""
    tree = ET.parse(ts_file)
    filled = 0
    for message in tree.getroot().iter("message"):
        translation = message.find("translation")
        text = translations.get(message.findtext("source", ""))
        if translation is None or translation.get("type") != "unfinished" or text is None:
            continue
        if message.get("numerus") == "yes":
            forms = translation.findall("numerusform")
            values = [text] * len(forms) if isinstance(text, str) else text
            for form, value in zip(forms, values, strict=True):
                form.text = value
        else:
            translation.text = text if isinstance(text, str) else text[0]
        del translation.attrib["type"]
        filled += 1
    header = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n'
    ts_file.write_text(header + ET.tostring(tree.getroot(), encoding="unicode") + "\n", "utf-8")
    return filled


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--into", type=Path, help="update copies of the .ts files in this folder")
    parser.add_argument("--no-compile", action="store_true", help="do not write .qm files")
    parser.add_argument("--missing", action="store_true", help="list untranslated strings")
    parser.add_argument("--fill", type=Path, help="JSON of translations per language")
    args = parser.parse_args(argv)
    ts_files = sorted(HERE.glob("trove_*.ts"))
    if args.into is not None:
        args.into.mkdir(parents=True, exist_ok=True)
        ts_files = [Path(shutil.copy2(path, args.into / path.name)) for path in ts_files]
    lupdate(ts_files)
    if args.fill is not None:
        given = json.loads(args.fill.read_text("utf-8"))
        for ts_file in ts_files:
            filled = fill(ts_file, given.get(language(ts_file), {}))
            print(f"{ts_file.name}: {filled} filled")
        lupdate(ts_files)  # back to lupdate's own layout, so diffs stay small
    if args.missing:
        for ts_file in ts_files:
            for source in missing(ts_file):
                print(f"{ts_file.name}: {source!r}")
    if not args.no_compile:
        for ts_file in ts_files:
            lrelease(ts_file, ts_file.with_suffix(".qm"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
