"""Tag names in the UI's language, from the pack's label files, on the real dev pack and a real
photo: the tag keeps its English name; the name shown is chosen at the edge."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from engine.catalog.records import FileKind
from engine.facade import Hit, Reason, Route, TagNames, Trove
from engine.inference.tagnames import tags_named
from engine.search.probes import TEXT_ROUTES
from engine.search.wording import detail, hit_line, reason_json
from models.manifest import Manifest, load_manifest
from tests.labelled import pack_with_tag_names
from tests.media import demo_folder, spoken_caption

ELEPHANT = "African elephant, Loxodonta africana"


@pytest.fixture(scope="module")
def named_pack(dev_pack: Manifest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pack_with_tag_names(dev_pack, tmp_path_factory.mktemp("pack"))


@pytest.fixture(scope="module")
def trove(named_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Trove:
    """The real engine on the pack with names, the demo's elephant photo indexed."""
    folder = tmp_path_factory.mktemp("photos")
    shutil.copy(demo_folder() / "Photos" / "elephant.png", folder / "elephant.png")
    engine = Trove(tmp_path_factory.mktemp("data"), named_pack)
    engine.add_folder(folder)
    engine.index()
    return engine


def test_a_class_and_a_concept_are_named_in_chinese_and_spanish(trove: Trove) -> None:
    chinese, spanish = trove.tag_names("zh_CN"), trove.tag_names("es")
    assert (chinese.name(ELEPHANT), spanish.name(ELEPHANT)) == ("非洲象", "elefante africano")
    # A WordNet concept the classes group into: "elephant" is the photo's likeliest tag.
    assert (chinese.name("elephant"), spanish.name("elephant")) == ("大象", "elefante")
    # What a picture shows names classes by their first English name.
    assert chinese.shown("African elephant, tusker") == ["非洲象", "长牙象"]
    # ImageNet's two cranes (the bird, the machine) share a name: it says both.
    assert chinese.name("crane") == "鹤 / 起重机"


def test_english_and_unknown_names_stay_as_they_are(trove: Trove) -> None:
    assert trove.tag_names("en") == TagNames()
    assert trove.tag_names("de").name(ELEPHANT) == ELEPHANT  # no German file in the pack
    assert trove.tag_names("zh_CN").name("not a tag") == "not a tag"


def test_a_pack_without_the_files_keeps_english_names(dev_pack: Manifest) -> None:
    """A pack built before the label files: its image model lists none, and names stay."""
    image = next(entry for entry in dev_pack.models if "concepts" in entry.files)
    roles = {role: ref for role, ref in image.files.items() if "." not in role}
    old = dev_pack.with_models((replace(image, files=roles),), dev_pack.root)
    names = TagNames.of_pack(old, "zh_CN")
    assert names.names == {} and names.name(ELEPHANT) == ELEPHANT


def test_the_photo_s_tags_keep_their_english_names_and_read_in_chinese(trove: Trove) -> None:
    found = trove.search("elephant", limit=1)
    assert found.hits and found.hits[0].path.name == "elephant.png"
    tags = [reason for reason in found.hits[0].reasons if reason.route is Route.TAG]
    assert tags and tags[0].label == "elephant"  # the catalog's name: its identity
    chinese = trove.tag_names("zh_CN")
    assert detail(tags[0], chinese).startswith('tag "大象" ')
    assert detail(tags[0]).startswith('tag "elephant" ')  # the CLI's English by default
    assert reason_json(tags[0])["label"] == "elephant"  # the JSON keeps the identity


def test_the_command_line_names_tags_as_asked() -> None:
    shows = Reason(Route.SHOWS, 0.8, label="African elephant, tusker")
    tag = Reason(Route.TAG, 0.9, label=ELEPHANT, probability=0.62)
    hit = Hit(1, FileKind.PHOTO, Path("/p/elephant.png"), 0.9, reasons=(tag, shows))
    names = TagNames("es", {ELEPHANT: "elefante africano", "tusker": "elefante colmilludo"})
    line = hit_line(1, hit, names=names)
    assert '[tag "elefante africano" 0.62; shows "African elephant, elefante colmilludo"]' in line


def test_a_tag_s_name_in_another_language_also_probes_with_its_english_name(
    trove: Trove,
) -> None:
    probes = trove.planner.probes
    plain = [p for p in probes.for_text("elephant").probes if p.routes == TEXT_ROUTES]
    asked = probes.for_text("大象").probes
    unnamed = probes.for_text("大象的照片").probes  # no tag's name: the text's own probes
    assert len(asked) == len(unnamed) + len(plain)  # "elephant" once more per text space
    for english in plain:  # "elephant", asked of every text route (tags, transcripts, notes)
        assert any(
            p.space == english.space
            and p.routes == TEXT_ROUTES
            and p.vector @ english.vector > 0.999
            for p in asked
        )
    assert all(probe.asked == "大象" for probe in asked)
    # Punctuation and a leading article or counted "one" are not part of the name.
    for text in ("一头大象。", "¡Un elefante!", "El elefante.", "elefante"):
        assert len(probes.for_text(text).probes) == len(asked), text
    assert len(probes.for_text("piano").probes) == len(asked) - len(plain)  # Spanish too
    found = trove.search("大象", limit=1)
    assert found.hits and found.hits[0].path.name == "elephant.png"


def test_a_synonym_asks_for_the_tag_the_window_names_another_way(named_pack: Path) -> None:
    pack = load_manifest(named_pack)
    named = tags_named(pack)
    assert named["逆戟鲸"] == named["杀人鲸"] == named["虎鲸"] == ["killer whale"]
    assert named["布谷鸟"] == named["杜鹃"] == ["cuckoo"]  # a concept's synonym
    chinese = TagNames.of_pack(pack, "zh_CN")
    assert chinese.name("killer whale, killer, orca, grampus, sea wolf, Orcinus orca") == "虎鲸"
    assert "逆戟鲸" not in chinese.names.values()  # shown one way only


@pytest.fixture(scope="module")
def voices(named_pack: Path, tmp_path_factory: pytest.TempPathFactory) -> Trove:
    """English voice memos (real spoken captions), among them a gorilla's and a badger's."""
    folder = tmp_path_factory.mktemp("memos")
    for stem in ("gorilla", "badger", "donkey", "owl", "wombat", "hen", "iguana", "marmot"):
        recording = spoken_caption(stem)
        shutil.copy(recording, folder / recording.name)
    engine = Trove(tmp_path_factory.mktemp("data"), named_pack)
    engine.add_folder(folder)
    engine.index()
    return engine


@pytest.mark.parametrize(
    ("asked", "subject"),
    [
        ("大猩猩。", "gorilla"),
        ("一只獾", "badger"),
        ("El tejón.", "badger"),
        ("鬣蜥。", "iguana"),  # the window's name is 绿鬣蜥; 鬣蜥 is its synonym
        ("一只旱獭。", "marmot"),  # shown as 土拨鼠
    ],
)
def test_an_english_voice_memo_is_found_by_its_subject_s_name_in_another_language(
    voices: Trove, asked: str, subject: str
) -> None:
    """Without the English name's probe each of these says "no good match" (the multilingual
    space matches short words poorly across languages; "一只旱獭。", without its synonym, finds
    the wombat, heard as "one bat."); with it the spoken word is found."""
    found = voices.search(asked, limit=3)
    assert found.hits and found.hits[0].path.name.startswith(f"{subject}_desc")
