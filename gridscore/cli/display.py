"""Terminal output with rich: weekend tables, and the live leaderboard during a replay."""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console
from rich.table import Table

from dataflows.runner import WeekendTotals
from store.live_read import Standing

console = Console()


def print_totals(totals: WeekendTotals) -> None:
    for title, values in (("Drivers", totals.drivers), ("Constructors", totals.constructors)):
        table = Table(title=title)
        table.add_column("#", justify="right")
        table.add_column("asset")
        table.add_column("points", justify="right")
        for i, (name, points) in enumerate(sorted(values.items(), key=lambda kv: (-kv[1], kv[0])), start=1):
            table.add_row(str(i), name, str(points))
        console.print(table)


def leaderboard_table(
    title: str, standings: list[Standing], total_teams: int, names: Mapping[int, str]
) -> Table:
    """The standings with each team's name, as the web app shows them (its id where it has none)."""
    caption = f"{title} ({total_teams:,} teams)"
    table = Table(title=caption, min_width=len(caption) + 2)
    table.add_column("rank", justify="right")
    table.add_column("team")
    table.add_column("points", justify="right")
    for s in standings:
        table.add_row(str(s.rank), names.get(s.team_id, f"team {s.team_id}"), str(s.points))
    return table
