"""Asset metadata a frontend draws with: every driver's name, number, team and team colour; every
constructor's name and colour (they were null); and the field where an image goes."""

from __future__ import annotations

import re

import httpx
import psycopg

from store.urls import libpq_url
from tests.api.helpers import JAPAN, seed_weekend

HEX = re.compile(r"^[0-9A-F]{6}$")


def test_assets_carry_names_numbers_and_colours(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    body = api.get("/api/assets").json()
    constructors = {c["name"]: c for c in body["constructors"]}
    assert len(constructors) == 10
    for constructor in constructors.values():
        assert constructor["full_name"] == constructor["name"]
        assert HEX.match(constructor["colour"] or ""), constructor
        assert "image_url" in constructor
    numbers = set()
    for driver in body["drivers"]:
        assert driver["full_name"], driver
        assert isinstance(driver["number"], int)
        numbers.add(driver["number"])
        assert driver["constructor"] in constructors
        assert driver["colour"] == constructors[driver["constructor"]]["colour"]
    assert len(numbers) == len(body["drivers"]) == 20
    verstappen = next(d for d in body["drivers"] if d["name"] == "VER")
    assert (verstappen["full_name"], verstappen["number"], verstappen["constructor"]) == (
        "Max Verstappen",
        1,
        "Red Bull Racing",
    )
    assert len({c["colour"] for c in constructors.values()}) == 10  # each team its own colour


def test_a_weekend_without_prices_is_read_without_writing_any(api: httpx.Client, db: str) -> None:
    """Prices come from the seed, the nightly sync and the price moves; a read never makes them up."""
    meeting = seed_weekend(db, JAPAN, days_ahead=2).meeting_key
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("DELETE FROM asset_price")
        for path in (f"/api/meetings/{meeting}/assets", "/api/assets"):
            response = api.get(path)
            assert response.status_code == 200, response.text
            assert (response.json()["drivers"], response.json()["constructors"]) == ([], [])
        assert conn.execute("SELECT count(*) FROM asset_price").fetchone() == (0,)
