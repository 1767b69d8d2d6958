"""What a file's own metadata says about it (:class:`~engine.catalog.records.MediaFacts`): when a
photo was taken, where, and with which camera (EXIF, through Pillow and pillow-heif); when a
recording or a video was made, and where a phone filmed it (the container's tags, through
libsndfile or PyAV, the decoders that read the file anyway).

Metadata is a hint, never a reason to fail a file: a tag that is missing, garbled or out of
range is left out (and logged), and the file is indexed all the same.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import ExifTags, Image

from engine.catalog.records import NO_FACTS, FileKind, MediaFacts
from engine.media.kinds import regular_size

log = logging.getLogger(__name__)

# A clock that was never set reads 1970 (or QuickTime's 1904); a date this far ahead is wrong too.
_EARLIEST = datetime(1971, 1, 1, tzinfo=UTC)
_AHEAD = timedelta(days=2)
# EXIF writes "2024:05:01 10:20:30"; tags of recordings write ISO 8601 ("2024-05-01T10:20:30Z").
_EXIF_TIME = re.compile(r"(\d{4}):(\d{2}):(\d{2}) (\d{2}):(\d{2}):(\d{2})")
_ISO_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
# ISO 6709, as phones tag a video's place: "+38.7223-009.1393+012.000/".
_ISO6709 = re.compile(r"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
_LOCATION_TAGS = ("com.apple.quicktime.location.ISO6709", "location")
_MAKE_TAGS = ("com.apple.quicktime.make", "make")
_MODEL_TAGS = ("com.apple.quicktime.model", "model")


def read_facts(path: Path, kind: FileKind) -> MediaFacts:
    """The facts ``path``'s metadata gives (an empty :class:`MediaFacts` for a note, or a file
    that says nothing or cannot be read)."""
    try:
        if kind is FileKind.PHOTO:
            return _photo_facts(path)
        if kind in (FileKind.AUDIO, FileKind.VIDEO):
            return _recording_facts(path)
    except Exception as error:  # noqa: BLE001
        # Whatever a parser raises on a broken header (Pillow's SyntaxError, libsndfile's own
        # errors...): metadata is a hint, and the decoder reports a bad file with its reason.
        log.info("no metadata read from %s: %s", path, error)
    return NO_FACTS


def _photo_facts(path: Path) -> MediaFacts:
    from engine.media.images import _open_heif_too

    _open_heif_too()
    regular_size(path)  # not a FIFO, which would block the open
    with Image.open(path) as image:  # reads the header only, no pixels
        if image.format == "PNG" and "exif" not in image.info:
            # Pillow would decode every pixel to look for an eXIf chunk after them (the whole
            # cost of a PNG's read, many times the header's); a PNG's EXIF, if any, comes first.
            return NO_FACTS
        exif = image.getexif()
        taken_at = exif.get_ifd(ExifTags.IFD.Exif)
        where = exif.get_ifd(ExifTags.IFD.GPSInfo)
        taken = _exif_time(
            taken_at.get(ExifTags.Base.DateTimeOriginal),
            taken_at.get(ExifTags.Base.OffsetTimeOriginal),
        )
        latitude, longitude = _gps(where)
        camera = _camera(exif.get(ExifTags.Base.Make), exif.get(ExifTags.Base.Model))
    return MediaFacts(taken, latitude, longitude, camera)


def _recording_facts(path: Path) -> MediaFacts:
    from engine.media.audio import _needs_ffmpeg, _open

    if not _needs_ffmpeg(path):
        with _open(path) as sound:  # WAV's ICRD, a Vorbis comment's DATE
            return MediaFacts(taken_ns=_iso_time(sound.date))
    from engine.media.video import open_container

    with open_container(path) as container:
        tags: dict[str, str] = {}
        for stream in reversed(container.streams):  # the container's own tags win
            tags.update(stream.metadata)
        tags.update(container.metadata)
    latitude, longitude = _iso6709(_first(tags, _LOCATION_TAGS))
    camera = _camera(_first(tags, _MAKE_TAGS), _first(tags, _MODEL_TAGS))
    return MediaFacts(_iso_time(tags.get("creation_time")), latitude, longitude, camera)


def _first(tags: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    return next((tags[name] for name in names if tags.get(name)), None)


def _exif_time(stamp: object, offset: object) -> int | None:
    """EXIF's local wall time, placed by its offset tag where there is one; without one, in
    this computer's time zone (where such a photo is most likely from)."""
    found = _EXIF_TIME.match(_text(stamp) or "")
    if found is None:
        return None
    try:
        moment = datetime(*(int(part) for part in found.groups()))  # type: ignore[arg-type]
    except ValueError:  # "0000:00:00 00:00:00", a 31st of February
        return None
    zone = _zone(_text(offset))
    if zone is not None:
        return _checked_ns(moment.replace(tzinfo=zone))
    try:
        return _checked_ns(datetime.fromtimestamp(time.mktime(moment.timetuple()), UTC))
    except (OverflowError, ValueError):
        return None


def _iso_time(stamp: str | None) -> int | None:
    """An ISO 8601 date or time of a recording's tags; a time with no zone is UTC, as
    QuickTime's ``creation_time`` is, and a bare date its midnight in local time."""
    found = _ISO_TIME.match((stamp or "").strip())
    if found is None:
        return None
    year, month, day, hour, minute, second, zone = found.groups()
    try:
        if hour is None:
            moment = datetime(int(year), int(month), int(day))
            local = datetime.fromtimestamp(time.mktime(moment.timetuple()), UTC)
            return _checked_ns(local)
        moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
    except (OverflowError, ValueError):
        return None
    return _checked_ns(moment.replace(tzinfo=UTC if zone in (None, "Z") else _zone(zone)))


def _zone(offset: str | None) -> timezone | None:
    found = _OFFSET.fullmatch((offset or "").strip())
    if found is None:
        return None
    sign, hours, minutes = found.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14):
        return None
    return timezone(-delta if sign == "-" else delta)


def _checked_ns(moment: datetime) -> int | None:
    if not _EARLIEST <= moment <= datetime.now(UTC) + _AHEAD:
        return None
    return int(moment.timestamp()) * 1_000_000_000


def _gps(where: Mapping[int, object]) -> tuple[float | None, float | None]:
    """Degrees north and east from EXIF's GPS tags (degrees, minutes, seconds and a hemisphere
    letter each); (None, None) where they are missing or out of range."""
    latitude = _degrees(where.get(ExifTags.GPS.GPSLatitude), where.get(ExifTags.GPS.GPSLatitudeRef))
    longitude = _degrees(
        where.get(ExifTags.GPS.GPSLongitude), where.get(ExifTags.GPS.GPSLongitudeRef)
    )
    return _position(latitude, longitude)


def _degrees(parts: object, hemisphere: object) -> float | None:
    if not isinstance(parts, tuple) or len(parts) != 3:
        return None
    try:
        degrees, minutes, seconds = (float(part) for part in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = degrees + minutes / 60 + seconds / 3600
    side = _text(hemisphere)
    if side not in ("N", "S", "E", "W"):
        return None
    return -value if side in ("S", "W") else value


def _iso6709(text: str | None) -> tuple[float | None, float | None]:
    found = _ISO6709.match(text or "")
    if found is None:
        return None, None
    return _position(float(found.group(1)), float(found.group(2)))


def _position(latitude: float | None, longitude: float | None) -> tuple[float | None, float | None]:
    if latitude is None or longitude is None:
        return None, None
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None, None
    # 0, 0 lies in the sea off Africa: it is what a receiver without a fix writes.
    if abs(latitude) > 90 or abs(longitude) > 180 or (latitude, longitude) == (0.0, 0.0):
        return None, None
    return latitude, longitude


def _camera(make: object, model: object) -> str | None:
    """ "Make Model", without the make twice ("Canon Canon EOS R5" is "Canon EOS R5")."""
    maker, named = _text(make), _text(model)
    if maker and named and named.lower().startswith(maker.lower().split()[0]):
        return named
    return " ".join(part for part in (maker, named) if part) or None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:200] or None
