"""A newcomer's first lines are GridScore's, not a library's warning: the embedded PostgreSQL under the
default, relative data dir and the backup's search for pg_dump run clean with XDG_RUNTIME_DIR unset
(as in a container or CI), every warning made an error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import run_captured

EMBEDDED = """
from pathlib import Path
import psycopg
from gridscore.base.services import embedded_postgres
with embedded_postgres(Path(".gridscore")) as url:
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
"""

TOOLS = """
from store.backup import _tool_dirs
assert _tool_dirs(), "pg_dump found"
"""


def run_strict(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
    env["PYTHONPATH"] = str(ROOT)
    return run_captured([sys.executable, "-W", "error", "-c", code], cwd=cwd, env=env, timeout=180)


def test_embedded_postgres_under_a_relative_data_dir_warns_nothing() -> None:
    # Not under pytest's tmp_path (see tests/conftest.py: servers): a folder of our own.
    folder = Path(tempfile.mkdtemp(prefix="gridscore-test-relative-"))
    try:
        folder.chmod(0o755)  # as a clone is, with a data dir left by an earlier run
        (folder / ".gridscore").mkdir(mode=0o755)
        done = run_strict(EMBEDDED, folder)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "RuntimeDirWarning" not in done.stderr
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_finding_pg_dump_warns_nothing(tmp_path: Path) -> None:
    done = run_strict(TOOLS, tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
