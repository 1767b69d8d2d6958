"""Copies of real photos with EXIF written into them (date taken, GPS, camera), made at test
set-up with Pillow's own EXIF writer: the originals in the media cache are never changed."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import ExifTags, Image, TiffImagePlugin

LISBON = (38.7223, -9.1393)  # Praça do Comércio's neighbourhood, in the middle of Lisbon


@dataclass(frozen=True)
class Written:
    """What a copy's EXIF says; None fields are left out of it."""

    taken: str | None = None  # EXIF's "YYYY:MM:DD HH:MM:SS"
    offset: str | None = None  # "+01:00"
    position: tuple[float, float] | None = None  # degrees north, east
    make: str | None = None
    model: str | None = None


def _dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    """Degrees, minutes and seconds as EXIF rationals (seconds to 1/1000)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = Fraction(round((value - degrees - minutes / 60) * 3600 * 1000), 1000)
    return (
        TiffImagePlugin.IFDRational(degrees, 1),
        TiffImagePlugin.IFDRational(minutes, 1),
        TiffImagePlugin.IFDRational(seconds.numerator, seconds.denominator),
    )


def photo_with_exif(source: Path, target: Path, written: Written) -> Path:
    """``source`` re-saved as a JPEG at ``target`` with ``written`` in its EXIF."""
    exif = Image.Exif()
    if written.make:
        exif[ExifTags.Base.Make] = written.make
    if written.model:
        exif[ExifTags.Base.Model] = written.model
    if written.taken:
        taken = exif.get_ifd(ExifTags.IFD.Exif)
        taken[ExifTags.Base.DateTimeOriginal] = written.taken
        if written.offset:
            taken[ExifTags.Base.OffsetTimeOriginal] = written.offset
    if written.position:
        latitude, longitude = written.position
        gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps[ExifTags.GPS.GPSLatitudeRef] = "N" if latitude >= 0 else "S"
        gps[ExifTags.GPS.GPSLatitude] = _dms(latitude)
        gps[ExifTags.GPS.GPSLongitudeRef] = "E" if longitude >= 0 else "W"
        gps[ExifTags.GPS.GPSLongitude] = _dms(longitude)
    with Image.open(source) as image:
        image.convert("RGB").save(target, "JPEG", quality=90, exif=exif)
    return target
