"""scoring/rules.py: a rule set is data. The default one holds SCORING.md's figures (read off the
table here, not off the TOML); a new season is a new file; an unknown or broken one says why."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from scoring import rules
from scoring.rules import DEFAULT_RULESET, RuleSet, available_rulesets, load_ruleset


def test_the_default_rule_set_holds_scoring_md() -> None:
    r = load_ruleset()
    assert (r.name, r.version) == (DEFAULT_RULESET, 1) == ("f1fantasy-2025", 1)
    assert r.qualifying.positions == (10, 9, 8, 7, 6, 5, 4, 3, 2, 1)
    assert (r.qualifying.no_time, r.qualifying.disqualified) == (-5, -5)
    assert r.sprint.positions == (8, 7, 6, 5, 4, 3, 2, 1)
    assert (r.sprint.place_gained, r.sprint.overtake, r.sprint.fastest_lap) == (1, 1, 5)
    assert (r.sprint.driver_of_the_day, r.sprint.not_classified, r.sprint.disqualified) == (0, -20, -20)
    assert r.race.positions == (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)
    assert (r.race.place_gained, r.race.overtake, r.race.fastest_lap) == (1, 1, 10)
    assert (r.race.driver_of_the_day, r.race.not_classified, r.race.disqualified) == (10, -20, -20)
    c = r.constructor
    assert (c.q2_reached, c.q3_reached, c.q2_cutoff, c.q3_cutoff) == ((-1, 1, 3), (0, 5, 10), 15, 10)
    assert (c.qualifying_disqualified, c.race_disqualified, c.sprint_disqualified) == (-5, -10, 0)
    assert c.pit_stop_bands == ((2.00, 20), (2.20, 10), (2.50, 5), (3.00, 2))
    assert (c.fastest_pit_stop, c.world_record_pit_stop, c.world_record_seconds) == (10, 15, 1.80)
    t = r.team
    assert (t.drivers, t.constructors, t.budget, t.boost_multiplier, t.extra_drs_multiplier) == (
        5,
        2,
        100.0,
        2,
        3,
    )


def test_the_default_is_listed_and_loaded_once() -> None:
    assert DEFAULT_RULESET in available_rulesets()
    assert load_ruleset(DEFAULT_RULESET) is load_ruleset(DEFAULT_RULESET)
    assert load_ruleset() == load_ruleset(DEFAULT_RULESET)


def test_an_unknown_rule_set_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match=r"unknown rule set 'f1fantasy-1950'; known: .*f1fantasy-2025"):
        load_ruleset("f1fantasy-1950")


@pytest.fixture
def ruleset_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A rule set folder of the test's own (each test loads names of its own: the loader caches by name)."""
    monkeypatch.setattr(rules, "RULESET_DIR", tmp_path)
    return tmp_path


def test_a_new_season_is_a_new_file(ruleset_dir: Path) -> None:
    default = (Path(rules.__file__).parent / "rulesets" / f"{DEFAULT_RULESET}.toml").read_text()
    season = default.replace('name = "f1fantasy-2025"', 'name = "f1fantasy-2026"').replace(
        "fastest_lap = 10", "fastest_lap = 0"
    )
    (ruleset_dir / "f1fantasy-2026.toml").write_text(season)
    assert available_rulesets() == ["f1fantasy-2026"]
    loaded = load_ruleset("f1fantasy-2026")
    assert isinstance(loaded, RuleSet)
    assert (loaded.name, loaded.race.fastest_lap, loaded.sprint.fastest_lap) == ("f1fantasy-2026", 0, 5)


def test_a_rule_set_missing_a_rule_is_refused_naming_it(ruleset_dir: Path) -> None:
    default = (Path(rules.__file__).parent / "rulesets" / f"{DEFAULT_RULESET}.toml").read_text()
    (ruleset_dir / "missing.toml").write_text(default.replace("world_record_seconds = 1.80\n", ""))
    with pytest.raises(msgspec.ValidationError, match="world_record_seconds"):
        load_ruleset("missing")


def test_a_rule_of_the_wrong_type_is_refused_naming_it(ruleset_dir: Path) -> None:
    default = (Path(rules.__file__).parent / "rulesets" / f"{DEFAULT_RULESET}.toml").read_text()
    (ruleset_dir / "wrong-type.toml").write_text(default.replace("overtake = 1", 'overtake = "one"', 1))
    with pytest.raises(msgspec.ValidationError, match=r"sprint\.overtake"):
        load_ruleset("wrong-type")
