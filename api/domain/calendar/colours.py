"""Team colours for the asset reads, from teams.toml beside this module (data, not code)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

TEAMS = Path(__file__).with_name("teams.toml")


@cache
def team_colours() -> dict[str, str]:
    with TEAMS.open("rb") as fh:
        return {str(k): str(v) for k, v in tomllib.load(fh)["colours"].items()}


def colour_of(team: str | None) -> str | None:
    return None if team is None else team_colours().get(team)
