"""Constructor names as the scoring uses them (OpenF1's `team_name`), by Ergast constructor id.

Assets are scored, priced and picked under these names, so the sync stores them rather than
Ergast's ("Red Bull" there, "Red Bull Racing" in the timing feed). An id not listed keeps the
source's name; a team renamed from one season to the next gets a season override.
"""

from __future__ import annotations

TEAM_NAMES: dict[str, str] = {
    "alfa": "Alfa Romeo",
    "alphatauri": "AlphaTauri",
    "alpine": "Alpine",
    "aston_martin": "Aston Martin",
    "ferrari": "Ferrari",
    "haas": "Haas F1 Team",
    "mclaren": "McLaren",
    "mercedes": "Mercedes",
    "rb": "Racing Bulls",
    "red_bull": "Red Bull Racing",
    "sauber": "Kick Sauber",
    "williams": "Williams",
}

SEASON_NAMES: dict[tuple[str, int], str] = {
    ("rb", 2024): "RB",
}


def team_name(constructor_id: str, season: int, source_name: str) -> str:
    return SEASON_NAMES.get((constructor_id, season)) or TEAM_NAMES.get(constructor_id) or source_name
