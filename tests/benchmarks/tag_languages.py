"""Tags asked in Chinese and Spanish: does "大象" or "elefante" find the photo tagged "elephant"?

    .venv/bin/python -m tests.benchmarks.tag_languages [--no-write]

The demo's photos of one clear subject each, copied under neutral names (``photo-07.png``: a
file name must not give the answer away), are indexed with the dev pack and its tag names in
Chinese and Spanish (:mod:`tests.labelled`); each subject is asked for in English, Chinese and
Spanish, the word a person would type. Counted: the right photo first, and first above the
good-match line; with and without the probe a tag's name in another language adds (the tag's
English name, of every text route: :meth:`engine.search.probes.ModelProbes.for_text`). Writes the
"Tags asked in Chinese and Spanish" section of EVALUATION.md.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from engine.facade import Trove
from models.manifest import load_manifest
from tests.benchmarks import machine, today, write_section
from tests.benchmarks.lexical import wilson
from tests.conftest import dev_pack_path
from tests.labelled import pack_with_tag_names
from tests.media import demo_folder

REPORT = Path(__file__).resolve().parents[2] / "EVALUATION.md"
LANGUAGES = ("en", "zh_CN", "es")
# Demo photo: what it shows, in English, Chinese and Spanish.
SUBJECTS = {
    "elephant.png": ("elephant", "大象", "elefante"),
    "lion.png": ("lion", "狮子", "león"),
    "penguin.png": ("penguin", "企鹅", "pingüino"),
    "banana.png": ("banana", "香蕉", "plátano"),
    "broccoli.png": ("broccoli", "西兰花", "brócoli"),
    "pineapple.png": ("pineapple", "菠萝", "piña"),
    "owl.png": ("owl", "猫头鹰", "búho"),
    "cow.png": ("cow", "奶牛", "vaca"),
    "motorcycle_left.png": ("motorcycle", "摩托车", "motocicleta"),
    "firetruck.png": ("fire truck", "消防车", "camión de bomberos"),
    "tiger.png": ("tiger", "老虎", "tigre"),
    "grapes.png": ("grapes", "葡萄", "uvas"),
    "beetle.png": ("beetle", "甲虫", "escarabajo"),
    "coffee.png": ("coffee", "咖啡", "café"),
    "green_korean_bus.png": ("bus", "公共汽车", "autobús"),
}


def measure(work: Path) -> dict[tuple[str, bool], tuple[int, int]]:
    """(language, with the tag-name probe) -> (right photo first, first and a good match)."""
    photos = work / "photos"
    photos.mkdir()
    neutral = {}
    for number, name in enumerate(sorted(SUBJECTS)):
        neutral[f"photo-{number:02d}.png"] = name
        shutil.copy(demo_folder() / "Photos" / name, photos / f"photo-{number:02d}.png")
    pack = pack_with_tag_names(load_manifest(dev_pack_path()), work / "pack")
    found: dict[tuple[str, bool], tuple[int, int]] = {}
    with Trove(work / "data", pack) as trove:
        trove.add_folder(photos)
        trove.index()
        for by_tag_names in (False, True):
            trove.planner.probes.by_tag_names = by_tag_names
            for column, language in enumerate(LANGUAGES):
                first = good = 0
                for name, asked in SUBJECTS.items():
                    result = trove.search(asked[column], limit=1)
                    top = (result.hits or result.weaker)[:1]
                    right = bool(top) and neutral[top[0].path.name] == name
                    first += right
                    good += right and bool(result.hits)
                found[language, by_tag_names] = (first, good)
    return found


def report(found: dict[tuple[str, bool], tuple[int, int]]) -> str:
    total = len(SUBJECTS)
    lines = [
        f"{today()}; {machine()}.",
        "Command: `.venv/bin/python -m tests.benchmarks.tag_languages`.",
        "",
        f"{total} demo photos of one subject each under neutral names, asked for by the word in",
        "each language; dev pack (no image-text model: text reaches photos through tags and",
        "what they show, in MiniLM and multilingual USE). Right photo first (95% Wilson",
        "interval) / first and above the good-match line:",
        "",
        "| asked in | without the tag-name probe | with it |",
        "|---|---|---|",
    ]
    for language in LANGUAGES:
        cells = []
        for by_tag_names in (False, True):
            first, good = found[language, by_tag_names]
            low, high = wilson(first, total)
            cells.append(f"{first}/{total} ({low:.2f}-{high:.2f}) / {good}/{total}")
        lines.append(f"| {language} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "The probe only adds where the query, less its punctuation and a leading article or",
        '"one" ("un", "一只"), is a tag\'s name in the pack\'s label files (English is',
        "unchanged); it asks tags, what photos show, transcripts and notes (EVALUATION.md",
        '"Targets" for what it adds on voice memos). Misses left: names the ImageNet and',
        "WordNet lists do not hold (葡萄/uvas: no grapes class; 奶牛/vaca: no cow class) and",
        "photos whose tag is weak for the model.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="do not write EVALUATION.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="trove-tag-languages-") as work:
        body = report(measure(Path(work)))
    print(body)
    if not args.no_write:
        write_section("Tags asked in Chinese and Spanish", body, REPORT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
