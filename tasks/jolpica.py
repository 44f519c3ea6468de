"""Read one season from a Jolpica/Ergast-shaped JSON API (api.jolpi.ca, or recorded responses).

Everything is fetched before anything is written, so a source that fails half-way leaves the
database as it was; every failure is a SourceError, which the sync task retries with backoff.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import msgspec

PAGE = 100  # Jolpica's largest page
T = TypeVar("T")


class SourceError(Exception):
    """The source failed or answered something unusable: worth retrying later."""


class Slot(msgspec.Struct):
    date: str
    time: str | None = None


class Location(msgspec.Struct):
    locality: str | None = None
    country: str | None = None


class Circuit(msgspec.Struct):
    circuit_id: str = msgspec.field(name="circuitId")
    circuit_name: str = msgspec.field(name="circuitName", default="")
    location: Location | None = msgspec.field(name="Location", default=None)


class Race(msgspec.Struct):
    season: str
    round: str
    race_name: str = msgspec.field(name="raceName")
    circuit: Circuit = msgspec.field(name="Circuit")
    date: str = ""
    time: str | None = None
    first_practice: Slot | None = msgspec.field(name="FirstPractice", default=None)
    second_practice: Slot | None = msgspec.field(name="SecondPractice", default=None)
    third_practice: Slot | None = msgspec.field(name="ThirdPractice", default=None)
    sprint_qualifying: Slot | None = msgspec.field(name="SprintQualifying", default=None)
    sprint_shootout: Slot | None = msgspec.field(name="SprintShootout", default=None)
    sprint: Slot | None = msgspec.field(name="Sprint", default=None)
    qualifying: Slot | None = msgspec.field(name="Qualifying", default=None)


class Driver(msgspec.Struct):
    driver_id: str = msgspec.field(name="driverId")
    given_name: str = msgspec.field(name="givenName")
    family_name: str = msgspec.field(name="familyName")
    code: str | None = None
    permanent_number: str | None = msgspec.field(name="permanentNumber", default=None)


class Constructor(msgspec.Struct):
    constructor_id: str = msgspec.field(name="constructorId")
    name: str


class Result(msgspec.Struct):
    driver: Driver = msgspec.field(name="Driver")
    constructor: Constructor = msgspec.field(name="Constructor")
    number: str | None = None


class ResultRace(msgspec.Struct):
    round: str
    results: list[Result] = msgspec.field(name="Results", default_factory=list)


@dataclass(frozen=True, slots=True)
class SeasonSource:
    """A season as the source tells it, before any mapping to our keys and names."""

    season: int
    races: list[Race]
    drivers: list[Driver]
    constructors: list[Constructor]
    lineups: dict[str, list[str]]  # constructor id -> ids of the drivers who raced for it this season
    last_results: list[Result]  # the latest round's classification: who drives for whom now


class JolpicaClient:
    def __init__(self, base_url: str, timeout_s: float = 30.0, pace_s: float = 0.25) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError(f"SYNC_SOURCE_URL must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.pace_s = pace_s
        self._last_request = 0.0

    def fetch_list(self, path: str, table: str, key: str, item: type[T]) -> list[T]:
        """Every item of a paged list, e.g. ('/2025/races.json', 'RaceTable', 'Races', Race)."""
        items: list[Any] = []
        offset = 0
        while True:
            page = self._get(path, offset)
            try:
                items.extend(page[table][key])
                total, limit = int(page["total"]), int(page["limit"])
            except (KeyError, TypeError, ValueError) as exc:
                raise SourceError(f"{path}: no {table}.{key} in the answer ({exc!r})") from exc
            offset += limit
            if limit <= 0 or offset >= total:
                break
        try:
            return [msgspec.convert(i, item) for i in items]
        except msgspec.ValidationError as exc:
            raise SourceError(f"{path}: {exc}") from exc

    def _get(self, path: str, offset: int) -> dict[str, Any]:
        wait = self._last_request + self.pace_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        url = f"{self.base_url}/ergast/f1{path}?limit={PAGE}&offset={offset}"
        headers = {"Accept": "application/json", "User-Agent": "gridscore"}
        # The scheme was checked in __init__: http or https only.
        request = urllib.request.Request(url, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                body = response.read()
        except (urllib.error.URLError, OSError) as exc:  # HTTPError (4xx/5xx) is a URLError
            raise SourceError(f"GET {url}: {exc}") from exc
        finally:
            self._last_request = time.monotonic()
        try:
            document = msgspec.json.decode(body)
            page = document["MRData"]
        except (msgspec.DecodeError, KeyError, TypeError) as exc:
            raise SourceError(f"GET {url}: not an Ergast-shaped JSON document ({exc!r})") from exc
        if not isinstance(page, dict):
            raise SourceError(f"GET {url}: MRData is not an object")
        return page


def fetch_season(client: JolpicaClient, season: int) -> SeasonSource:
    races = client.fetch_list(f"/{season}/races.json", "RaceTable", "Races", Race)
    drivers = client.fetch_list(f"/{season}/drivers.json", "DriverTable", "Drivers", Driver)
    constructors = client.fetch_list(
        f"/{season}/constructors.json", "ConstructorTable", "Constructors", Constructor
    )
    lineups = {
        c.constructor_id: [
            d.driver_id
            for d in client.fetch_list(
                f"/{season}/constructors/{c.constructor_id}/drivers.json", "DriverTable", "Drivers", Driver
            )
        ]
        for c in constructors
    }
    last = client.fetch_list(f"/{season}/last/results.json", "RaceTable", "Races", ResultRace)
    return SeasonSource(
        season=season,
        races=races,
        drivers=drivers,
        constructors=constructors,
        lineups=lineups,
        last_results=[result for race in last for result in race.results],
    )
