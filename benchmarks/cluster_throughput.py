"""Replay throughput of the flow on one process and on a two-process Bytewax cluster (no teams).

    DATABASE_URL=... REDIS_URL=... .venv/bin/python -m benchmarks.cluster_throughput [--copies 25]

The repeated weekend is split into one file per process so that reading and decoding spread too
(a file is a source partition); sessions and meetings spread by key. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.feeds import repeated_feed
from ingest.recorded import iter_lines

LAP_BY_LAP = Path(__file__).resolve().parent.parent / "data" / "feeds" / "2023-01-bahrain.jsonl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def split(feed: Path, parts: int, folder: Path) -> list[Path]:
    """Whole weekends per file (lines are grouped by meeting key), so no session spans two files."""
    outs = [folder / f"part-{i}.jsonl" for i in range(parts)]
    handles = [p.open("wb") for p in outs]
    for line in iter_lines(feed):
        meeting = (
            json.loads(line)["payload"].get("meeting_key") or json.loads(line)["payload"]["session_key"] // 10
        )
        handles[hash(meeting) % parts].write(line + b"\n")
    for h in handles:
        h.close()
    return outs


def run(files: list[Path], processes: int) -> float:
    addresses = ";".join(f"127.0.0.1:{_free_port()}" for _ in range(processes))
    flow = f"dataflows.cluster:replay_flow({', '.join(repr(str(f)) for f in files)})"
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bytewax.run", flow, "-i", str(i), "-a", addresses], env=dict(os.environ)
        )
        for i in range(processes)
    ]
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError("a cluster process failed")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        feed = repeated_feed(LAP_BY_LAP, args.copies, Path(folder) / "repeated.jsonl")
        messages = sum(1 for _ in iter_lines(feed))
        files = split(feed, 2, Path(folder))
        one = run(files, 1)
        two = run(files, 2)
    print(
        json.dumps(
            {
                "messages": messages,
                "one_process_msgs_per_s": round(messages / one),
                "two_processes_msgs_per_s": round(messages / two),
                "note": "wall time includes process start",
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
