"""Plot race-time reads against teams from saved `gridscore bench-api --json` results.

.venv/bin/python -m benchmarks.api_report benchmarks/results/bench-api-*.json

Each file is one run's JSON with a `version` key added (which code ran: "this" or "previous"); runs of the
same version and size are averaged. Writes benchmarks/results/reads-vs-teams.png: plain reads a second and
SSE lag p99 against teams, one line per version. A shared machine moves these figures run to run: the
plot shows orders of magnitude, and BENCHMARKS.md gives each run's load average beside it.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

from benchmarks.plots import against_teams, pyplot, save


def plot(runs: list[dict[str, object]]) -> Path:
    plt = pyplot()
    by: dict[tuple[str, int], list[dict[str, object]]] = defaultdict(list)
    for run in runs:
        by[(str(run.get("version", "this")), int(str(run["teams"])))].append(run)
    fig, (reads, lag) = plt.subplots(1, 2, figsize=(10, 4.2))
    for version in sorted({v for v, _ in by}):
        sizes = sorted(t for v, t in by if v == version)

        def mean(key: str, teams: int, of: str = version) -> float:
            values = [float(str(r[key])) for r in by[(of, teams)] if r.get(key) is not None]
            return statistics.fmean(values) if values else float("nan")

        (line,) = reads.plot(sizes, [mean("req_per_s", t) for t in sizes], "o-", label=version)
        colour = line.get_color()  # a version's colour in both panels
        lag.plot(
            sizes, [mean("sse_lag_ms_p99", t) for t in sizes], "o-", color=colour, label=f"{version} p99"
        )
        lag.plot(
            sizes, [mean("sse_lag_ms_p50", t) for t in sizes], "s:", color=colour, label=f"{version} p50"
        )
    reads.axhline(2500, color="grey", linestyle="--", linewidth=1, label="goal 2,500")
    lag.axhline(500, color="grey", linestyle="--", linewidth=1, label="goal p99 500 ms")
    against_teams(reads, "Leaderboard pages and team scores (50 clients)", "requests a second", fontsize=10)
    against_teams(lag, "SSE lag, engine's write -> client (5,000 streams)", "milliseconds", fontsize=10)
    return save(fig, "reads-vs-teams.png", dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", type=Path, nargs="+")
    args = parser.parse_args()
    print(plot([json.loads(f.read_text()) for f in args.files]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
