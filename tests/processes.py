"""A command run to its end by a test, its output kept as text: the exit code is the test's to judge."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_captured(
    args: Sequence[str], *, cwd: Path, env: Mapping[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`args` in `cwd` under exactly `env`; stdout and stderr captured, a non-zero exit not raised."""
    return subprocess.run(
        list(args), cwd=cwd, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
