"""Run `gridscore bench` at several sizes and write benchmarks/results/*.json and the refresh plot.

.venv/bin/python -m benchmarks.report 10000 100000 1000000
.venv/bin/python -m benchmarks.report 10000000 --latency-s 0 --baseline-runs 1   # one size more
.venv/bin/python -m benchmarks.report 10000 100000 1000000 10000000 --plot-only  # from the results
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.plots import RESULTS, against_teams, pyplot, save


def run_size(teams: int, extra: list[str]) -> dict[str, float]:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "gridscore"),
            "--log-level",
            "WARNING",
            "bench",
            "--teams",
            str(teams),
            "--json",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    (RESULTS / f"bench-{teams}.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def plot(results: list[dict[str, float]]) -> Path:
    plt = pyplot()
    teams = [r["teams"] for r in results]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(
        teams,
        [r["refresh_ms_p50"] for r in results],
        "o-",
        label="GridScore refresh p50 (totals + ranks in Redis)",
    )
    ax.plot(teams, [r["refresh_ms_p99"] for r in results], "o--", label="GridScore refresh p99")
    ax.plot(
        teams, [r["league_refresh_ms_p50"] for r in results], "s:", label="GridScore league standings p50"
    )
    ax.plot(
        teams, [r["league_refresh_ms_p99"] for r in results], "s-.", label="GridScore league standings p99"
    )
    live = [r for r in results if r.get("publish_to_totals_ms_p99") is not None]
    if live:
        ax.plot(
            [r["teams"] for r in live],
            [r["publish_to_totals_ms_p99"] for r in live],
            "d-",
            label="live: publish -> every total p99",
        )
    ax.plot(
        [r["teams"] for r in results if r.get("baseline_sql_ms_p50") is not None],
        [r["baseline_sql_ms_p50"] for r in results if r.get("baseline_sql_ms_p50") is not None],
        "^-",
        label="baseline: set-based SQL UPDATE p50",
    )
    against_teams(ax, "Refresh of every team's total after a scoring window", "milliseconds")
    return save(fig, "refresh-vs-teams.png", dpi=120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--latency-s", help="passed to gridscore bench")
    parser.add_argument("--baseline-runs", help="passed to gridscore bench")
    parser.add_argument("--plot-only", action="store_true", help="plot the sizes' saved results")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    extra = [
        f"--{name.replace('_', '-')}={value}"
        for name, value in vars(args).items()
        if name in ("latency_s", "baseline_runs") and value is not None
    ]
    results = []
    for teams in args.sizes:
        if args.plot_only:
            result = json.loads((RESULTS / f"bench-{teams}.json").read_text())
        else:
            result = run_size(teams, extra)
            print(json.dumps(result))
        results.append(result)
    print(plot(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
