"""`gridscore demo --linger S` with its output in a pipe or a file (`make demo DEMO_LINGER=60 | tee demo.log`,
nohup, a process manager): the API keeps serving for the seconds given after the race, as in a terminal.
Before, a given --linger (and --wait) counted only in a terminal, so such a demo ended with the race and
the results were never browsable; only an unset one is none in a script."""

from __future__ import annotations

import contextlib
import signal
from pathlib import Path

import httpx
import psutil

from tests.api.server import free_port
from tests.test_demo_signals import data_dir, read_until, servers_of, start_demo

__all__ = ["data_dir"]  # the fixture, shared with the signal tests

RACE_OVER = "The race is over"


def test_a_given_linger_holds_when_the_output_is_not_a_terminal(data_dir: Path) -> None:
    port = free_port()
    options = ["--teams", "50", "--speed", "0", "--port", str(port), "--wait", "0", "--linger", "600"]
    demo = start_demo(data_dir, *options)
    servers: list[psutil.Process] = []
    try:
        replayed = read_until(demo, RACE_OVER, timeout=300)
        # At speed 0 every session is dated alike: the final table is still the Race's, not Qualifying's.
        assert "Final standings after the Race" in replayed, replayed[-3000:]
        servers = servers_of(psutil.Process(demo.pid), data_dir)
        said = read_until(demo, "\n", timeout=30)
        assert "stopping in 600 s" in said, said
        assert demo.poll() is None, "the demo ended with the race although --linger 600 was given"
        results = httpx.get(f"http://127.0.0.1:{port}/results", timeout=30)
        assert results.status_code == 200, results.text[:500]
        meetings = httpx.get(f"http://127.0.0.1:{port}/api/meetings", timeout=30)
        assert meetings.status_code == 200, meetings.text[:500]
        demo.send_signal(signal.SIGTERM)
        output, _ = demo.communicate(timeout=120)
        assert "gridscore demo: stopped" in output, output[-3000:]
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for proc in servers:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
