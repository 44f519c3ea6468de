"""The commands `gridscore api-seed` and `gridscore lock`."""

from __future__ import annotations

import json

import pytest

from gridscore.cli.main import main
from tests.api.helpers import JAPAN


def test_seed_and_lock_commands(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db)
    assert main(["api-seed", str(JAPAN), "--start-at", "2030-04-05T06:00:00+00:00"]) == 0
    seeded = json.loads(capsys.readouterr().out)
    assert seeded["meeting_key"] == 202503
    assert seeded["sessions"]["Qualifying"] == "2030-04-05T06:00:00+00:00"
    assert (seeded["drivers"], seeded["constructors"], seeded["prices"]) == (20, 10, 30)
    assert main(["lock", "202503"]) == 0
    assert "meeting 202503 locked" in capsys.readouterr().out
    assert main(["lock", "202503"]) == 0
    assert "already locked" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="no meeting 1"):
        main(["lock", "1"])
