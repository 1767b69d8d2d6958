"""Where a shared library's folders are mounted here: a path mapping turns the indexing machine's
paths into this machine's and back, the longest folder first, and refuses what it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.index.shared import MappingError, PathMapping

MAPPING = PathMapping.parse(
    ["/srv/media=/Volumes/media", "/srv/media/photos=/mnt/photos", "/srv/x=/home/me/x share"]
)


@pytest.mark.parametrize(
    ("there", "here"),
    [
        ("/srv/media/2024/a.jpg", "/Volumes/media/2024/a.jpg"),
        ("/srv/media", "/Volumes/media"),
        ("/srv/media/photos/cat.jpg", "/mnt/photos/cat.jpg"),  # the longest folder wins
        ("/srv/mediaeval/b.jpg", "/srv/mediaeval/b.jpg"),  # a name that only begins alike
        ("/srv/x/y z.wav", "/home/me/x share/y z.wav"),
        ("/elsewhere/c.jpg", "/elsewhere/c.jpg"),  # unmapped: as the indexing machine says
    ],
)
def test_a_library_path_is_where_it_is_mounted_here_and_back(there: str, here: str) -> None:
    assert MAPPING.here(there) == Path(here)
    assert MAPPING.there(Path(here)) == there


def test_a_windows_share_maps_by_its_own_separator() -> None:
    mapping = PathMapping.of([("D:\\Photos", Path("/Volumes/photos"))])
    assert mapping.here("D:\\Photos\\2024\\a.jpg") == Path("/Volumes/photos/2024/a.jpg")
    assert mapping.there(Path("/Volumes/photos/2024")) == "D:\\Photos\\2024"


@pytest.mark.parametrize(
    "text",
    [
        "/srv/media",
        "=/Volumes/media",
        "/srv/media=",
        "srv/media=/Volumes/media",
        "/srv/media=Volumes/media",
    ],  # fmt: skip
)
def test_a_mapping_that_is_not_two_absolute_folders_is_refused(text: str) -> None:
    with pytest.raises(MappingError, match="mapping|absolute"):
        PathMapping.parse([text])
