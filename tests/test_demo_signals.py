"""`gridscore demo` on its embedded servers, stopped by SIGTERM or SIGHUP (a closed terminal, `kill`, a
process manager) as by Ctrl-C: the API's port is free again and no server it started is left running, the
embedded PostgreSQL's pid file gone with it. Before, either signal ended Python at once and PostgreSQL and
Valkey outlived the demo."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.api.server import free_port

ROOT = Path(__file__).resolve().parents[1]
BRITAIN = ROOT / "data" / "feeds" / "2023-10-britain.jsonl"
BANNER = "live race:"  # the banner's second line; the servers come next


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path (see tests/conftest.py: servers): a folder of our own, readable by the
    # embedded PostgreSQL's own user.
    folder = Path(tempfile.mkdtemp(prefix="gridscore-test-demo-signals-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def start_demo(data_dir: Path, *options: str) -> subprocess.Popen[str]:
    """`gridscore demo` on the Silverstone feed, on embedded servers under `data_dir`, its output read
    through a pipe (not a terminal), as a process manager or `tee` would run it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["GRIDSCORE_DATA_DIR"] = str(data_dir)
    gridscore = str(Path(sys.executable).parent / "gridscore")
    return subprocess.Popen(
        [gridscore, "demo", str(BRITAIN), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=ROOT,
    )


def servers_of(demo: psutil.Process, data_dir: Path) -> list[psutil.Process]:
    """The demo's child processes (Valkey) and any process run on its data folder (the postmaster)."""
    found = {p.pid: p for p in demo.children(recursive=True)}
    for proc in psutil.process_iter(["cmdline"]):
        if any(str(data_dir) in part for part in proc.info["cmdline"] or ()):
            found.setdefault(proc.pid, proc)
    return list(found.values())


def read_until(demo: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """The demo's output up to the line with `marker`; an error with what it said if it ends first."""
    assert demo.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        line = demo.stdout.readline()
        if not line or time.monotonic() > deadline:
            raise AssertionError(f"no {marker!r} from the demo: {seen[-3000:]}")
        seen += line
    return seen


def wait_for_banner(demo: subprocess.Popen[str], timeout: float) -> str:
    assert demo.stdout is not None
    return read_until(demo, BANNER, timeout) + demo.stdout.readline()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signalled_demo_stops_its_embedded_servers(data_dir: Path, signum: signal.Signals) -> None:
    port = free_port()
    demo = start_demo(data_dir, "--teams", "50", "--port", str(port), "--wait", "0", "--linger", "0")
    servers: list[psutil.Process] = []
    try:
        banner = wait_for_banner(demo, timeout=240)
        servers = servers_of(psutil.Process(demo.pid), data_dir)
        assert "servers: embedded PostgreSQL, embedded Valkey" in banner, banner
        assert len(servers) >= 2, f"PostgreSQL and Valkey running: {servers}"
        demo.send_signal(signum)
        output, _ = demo.communicate(timeout=120)
        assert "gridscore demo: stopped" in output, output[-3000:]
        _, alive = psutil.wait_procs(servers, timeout=30)
        assert not alive, f"left running after {signum.name}: {[p.cmdline() for p in alive]}"
        assert not (data_dir / "postgres" / "postmaster.pid").exists()
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "the demo's API still listens"
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for proc in servers:  # what a failing run left behind is not the next test's problem
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.terminate()
