"""`trove` end to end: real dev pack, real media, a real catalog and index in a temp dir."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine.cli import BAD_USAGE, ENGINE_ERROR, NO_RESULT, OK, main
from models.manifest import Manifest
from tests import media


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, dev_pack: Manifest) -> list[str]:
    """Global options of a data dir that holds the demo folder, indexed once for the module."""
    data = tmp_path_factory.mktemp("data")
    options = ["--data-dir", str(data), "--pack", str(dev_pack.root)]
    assert main([*options, "add", str(media.demo_folder())]) == OK
    assert main([*options, "index"]) == OK
    return options


def search(options: list[str], capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    code = main([*options, "search", *args, "--json"])
    result = json.loads(capsys.readouterr().out)
    result["code"] = code
    return result


def names(result: dict) -> list[str]:
    return [Path(hit["path"]).name for hit in result["hits"]]


@pytest.mark.slow
def test_text_finds_a_photo_by_its_tags(indexed: list[str], capsys: pytest.CaptureFixture) -> None:
    result = search(indexed, capsys, "a cat")
    assert result["code"] == OK
    assert "chelsea.png" in names(result)[:3]
    best = result["hits"][names(result).index("chelsea.png")]
    assert best["kind"] == "photo" and 0 <= best["score"] <= 1
    assert any(reason["route"] == "tag" for reason in best["why"])


@pytest.mark.slow
def test_text_finds_a_recording_by_its_words_with_the_time_and_marks_them(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    result = search(indexed, capsys, "water the tomato plants")
    assert names(result)[0] == "tomato_plants.wav"
    hit = result["hits"][0]
    assert hit["start"] is not None and hit["end"] > hit["start"]
    said = hit["why"][0]
    assert said["route"] == "transcript"
    assert (said["start"], said["end"]) == (hit["start"], hit["end"])
    # The spoken word is marked in the excerpt: a matched span covers it.
    excerpt = said["excerpt"]
    assert said["detail"] == f'said "{excerpt}"'
    word = excerpt.lower().index("tomato")  # the word Whisper heard, where the excerpt has it
    assert any(start <= word and word + len("tomato") <= end for start, end in said["matched"])
    marked = [excerpt[start:end].lower() for start, end in said["matched"]]
    # Whisper base hears "...water the tomato plants before the weekend": each "the" is marked
    assert marked == ["water", "the", "tomato", "plants", "the"]
    # The text output says the same sentence.
    capsys.readouterr()
    assert main([*indexed, "search", "water the tomato plants"]) == OK
    first = capsys.readouterr().out.splitlines()[0]
    assert "tomato_plants.wav" in first and f"[{said['detail']}" in first


SCHEMA_1_HIT = {"path", "kind", "score", "start", "end", "why"}
SCHEMA_1_REASON = {"route", "detail", "start", "end"}
SCHEMA_2_REASON = {"score", "label", "probability", "excerpt", "matched", "asked", "example"}
SCHEMA_3_REASON = {"boxes"}


@pytest.mark.slow
def test_json_keeps_every_old_field_and_adds_the_reasons_values(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    result = search(indexed, capsys, "a cat")
    assert result["schema"] == 4 and result["generation"] > 0
    assert {"query", "no_good_match", "spaces_used", "notes", "hits", "weaker"} <= set(result)
    for hit in result["hits"] + result["weaker"]:
        assert set(hit) == SCHEMA_1_HIT | {"file_id", "strength", "library"} and hit["file_id"] > 0
        assert hit["library"] is None  # this machine's own library
        assert Path(hit["path"]).is_absolute()
        for reason in hit["why"]:
            assert set(reason) == SCHEMA_1_REASON | SCHEMA_2_REASON | SCHEMA_3_REASON
    best = result["hits"][names(result).index("chelsea.png")]
    tag = next(reason for reason in best["why"] if reason["route"] == "tag")
    assert "cat" in tag["label"] and 0 < tag["probability"] <= 1
    assert tag["detail"] == f'tag "{tag["label"]}" {tag["probability"]:.2f}'
    assert len({hit["file_id"] for hit in result["hits"]}) == len(result["hits"])


@pytest.mark.slow
def test_a_photo_finds_itself_and_its_look_alikes(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    tiger = media.demo_folder() / "Photos" / "tiger.png"
    copy = Path(indexed[1]).parent / "tiger-copy.png"
    shutil.copy(tiger, copy)
    result = search(indexed, capsys, "--like", str(copy), "--kind", "photo")
    assert names(result)[0] == "tiger.png"
    assert all(hit["kind"] == "photo" for hit in result["hits"])


@pytest.mark.slow
def test_nonsense_says_no_good_match(indexed: list[str], capsys: pytest.CaptureFixture) -> None:
    result = search(indexed, capsys, "quarterly tax reconciliation spreadsheet macros")
    assert result["code"] == NO_RESULT
    assert result["no_good_match"] and result["hits"] == []
    assert {hit["strength"] for hit in result["weaker"]} <= {"weak"}


@pytest.mark.slow
def test_a_photo_without_look_alikes_still_lists_its_closest(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    """The calibrated line hides every neighbour of a lone photo: the closest are listed,
    marked weaker, and the text output says so."""
    capsys.readouterr()
    photo = media.demo_folder() / "Photos" / "coffee.png"
    code = main([*indexed, "search", "--like", str(photo), "--kind", "photo"])
    lines = capsys.readouterr().out.splitlines()
    result = search(indexed, capsys, "--like", str(photo), "--kind", "photo")
    assert code == NO_RESULT and result["hits"] == [] and result["weaker"]
    assert lines[0].endswith("no good match \u2014 closest:")
    assert result["weaker"][0]["path"] in lines[1]
    assert all(hit["kind"] == "photo" and hit["strength"] == "weak" for hit in result["weaker"])


def listed(options: list[str], capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    capsys.readouterr()
    code = main([*options, *args, "--json"])
    result = json.loads(capsys.readouterr().out)
    result["code"] = code
    return result


@pytest.mark.slow
def test_a_filter_alone_lists_its_files_newest_first_a_page_at_a_time(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    demo = media.demo_folder()
    on_disk = sorted(
        (path for path in demo.rglob("*") if path.suffix in (".ogg", ".wav", ".mp3", ".flac")),
        key=lambda path: path.name,
    )
    every = listed(indexed, capsys, "list", "kind:audio", "--limit", "100")
    assert every["code"] == OK and every["total"] == len(on_disk) == len(every["files"])
    assert sorted(Path(file["path"]).name for file in every["files"]) == [p.name for p in on_disk]
    assert all(file["kind"] == "audio" and file["size"] > 0 for file in every["files"])
    modified = [file["modified"] for file in every["files"]]
    assert modified == sorted(modified, reverse=True)
    # The same list from a search with nothing but filters, typed or as --kind
    for args in (["search", "kind:audio"], ["search", "--kind", "audio"]):
        same = listed(indexed, capsys, *args, "--limit", "100")
        assert [file["file_id"] for file in same["files"]] == [
            file["file_id"] for file in every["files"]
        ]
    page = listed(indexed, capsys, "list", "--kind", "audio", "--limit", "2", "--offset", "2")
    assert page["files"] == every["files"][2:4] and page["offset"] == 2
    oldest = listed(indexed, capsys, "list", "kind:audio", "--oldest", "--limit", "100")
    assert [f["modified"] for f in oldest["files"]] == sorted(modified)
    sounds = listed(indexed, capsys, "list", f'in:"{demo / "Sounds"}"', "--limit", "100")
    assert sounds["files"] and all(
        Path(file["path"]).parent == demo / "Sounds" for file in sounds["files"]
    )
    future = listed(indexed, capsys, "list", "after:2999-01-01")
    assert future["code"] == NO_RESULT and future["files"] == [] and future["total"] == 0
    capsys.readouterr()
    assert main([*indexed, "list", "kind:audio", "--limit", "1"]) == OK
    text = capsys.readouterr().out.splitlines()
    assert Path(every["files"][0]["path"]).name in text[0]
    assert text[-1].strip() == f"files 1-1 of {every['total']} (--offset 1 for more)"


def test_list_takes_filters_only(indexed: list[str], capsys: pytest.CaptureFixture) -> None:
    capsys.readouterr()
    assert main([*indexed, "list", "a dog"]) == BAD_USAGE
    assert "list takes filters only" in capsys.readouterr().err


@pytest.mark.slow
def test_status_and_doctor_agree_with_the_index(
    indexed: list[str], capsys: pytest.CaptureFixture
) -> None:
    capsys.readouterr()
    assert main([*indexed, "status"]) == OK
    status = capsys.readouterr().out
    assert "files.indexed" in status and "files.failed             0" in status
    assert main([*indexed, "doctor"]) == OK
    doctor = capsys.readouterr().out
    assert "every hash ok" in doctor and "consistent with the catalog" in doctor
    assert "good-match lines: fitted for" in doctor  # the dev pack carries its own


def test_a_broken_file_is_listed_with_its_reason(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(media.skimage_photos()["chelsea"], folder / "chelsea.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg at all")
    options = ["--data-dir", str(tmp_path / "data"), "--pack", str(dev_pack.root)]
    assert main([*options, "add", str(folder)]) == OK
    assert main([*options, "index"]) == OK
    assert "1 indexed, 1 failed" in capsys.readouterr().out
    assert main([*options, "status"]) == OK
    assert "could not read " + str(folder / "broken.jpg") in capsys.readouterr().out


def test_a_damaged_pack_is_an_engine_error_naming_the_file(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "manifest.json").write_text((dev_pack.root / "manifest.json").read_text())
    code = main(["--data-dir", str(tmp_path / "data"), "--pack", str(pack), "doctor"])
    assert code == ENGINE_ERROR
    assert "missing" in capsys.readouterr().err


def test_bad_usage_exits_2(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["search-everything"]) == BAD_USAGE
    assert main(["--device", "tpu", "doctor"]) == BAD_USAGE
    options = ["--data-dir", str(tmp_path), "--pack", str(dev_pack.root)]
    capsys.readouterr()
    assert main([*options, "search", "after:not-a-date"]) == BAD_USAGE
    assert "wants a date" in capsys.readouterr().err
    assert main([*options, "remove", str(tmp_path)]) == BAD_USAGE


def test_speech_languages_must_be_codes_the_speech_model_knows(
    tmp_path: Path, dev_pack: Manifest, capsys: pytest.CaptureFixture[str]
) -> None:
    options = ["--data-dir", str(tmp_path), "--pack", str(dev_pack.root)]
    capsys.readouterr()
    assert main([*options, "--speech-languages", "en,xx", "index"]) == BAD_USAGE
    said = capsys.readouterr().err
    assert "no language 'xx'" in said and said.count("\n") == 1
    assert main([*options, "--speech-languages", ",", "index"]) == BAD_USAGE
    assert "no language codes" in capsys.readouterr().err
    assert main([*options, "--speech-languages", "EN,es", "index"]) == OK
