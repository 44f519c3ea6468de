"""The pre-commit hooks pass on the tree, offline: every hook is local and runs from the project's
own environment, so a commit needs no network (proxies pointed at a closed port prove it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.processes import run_captured

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def test_pre_commit_hooks_pass_with_no_network(tmp_path: Path) -> None:
    home = tmp_path / "pre-commit-home"
    closed = "http://127.0.0.1:9"
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), HTTPS_PROXY=closed, HTTP_PROXY=closed, PIP_NO_INDEX="1")
    hooks = [str(PRE_COMMIT), "run", "--all-files", "--show-diff-on-failure", "--color", "never"]
    done = run_captured(hooks, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    for hook in (
        "ruff check",
        "ruff format",
        "mypy",
        "import-linter",
        "hadolint",
        "actionlint",
        "shellcheck",
    ):
        assert any(line.startswith(hook) and line.endswith("Passed") for line in done.stdout.splitlines()), (
            hook
        )
    assert not list(home.glob("repo*")), "a hook was fetched from the network"
