"""Run `gridscore bench` at several sizes and write benchmarks/results/*.json and the refresh plot.

.venv/bin/python -m benchmarks.report 10000 100000 1000000
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def run_size(teams: int) -> dict[str, float]:
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "gridscore"),
            "--log-level",
            "WARNING",
            "bench",
            "--teams",
            str(teams),
            "--json",
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
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        teams, [r["baseline_sql_ms_p50"] for r in results], "^-", label="baseline: set-based SQL UPDATE p50"
    )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("fantasy teams")
    ax.set_ylabel("milliseconds")
    ax.set_title("Refresh of every team's total after a scoring window")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    out = RESULTS / "refresh-vs-teams.png"
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    return out


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    results = []
    for teams in sizes:
        result = run_size(teams)
        print(json.dumps(result))
        results.append(result)
    print(plot(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
