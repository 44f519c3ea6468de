"""Settings: every variable declared once, listed in .env.example, read with the documented semantics."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from gridscore.base.settings import Settings, env_names, get_settings
from scoring.rules import DEFAULT_RULESET, available_rulesets, load_ruleset
from tests.conftest import ROOT

ENV_EXAMPLE = ROOT / ".env.example"
# .env.example opens with docker compose's own variables (passwords of the broker's users, ports):
# compose reads them, GridScore never does. Everything from this header on is a setting.
APP_SECTIONS = "# ---- Servers"


def _listed(text: str) -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, re.MULTILINE))


def test_env_example_lists_exactly_the_settings() -> None:
    text = ENV_EXAMPLE.read_text()
    assert APP_SECTIONS in text
    declared = set(env_names().values())
    assert len(declared) == len(env_names()), "two settings read the same variable"
    assert declared - _listed(text) == set(), "settings missing from .env.example"
    assert _listed(text.split(APP_SECTIONS, 1)[1]) - declared == set(), ".env.example lists unread variables"


def test_every_field_has_a_variable_and_a_description() -> None:
    for name, field in Settings.model_fields.items():
        assert isinstance(field.validation_alias, str), name
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", field.validation_alias), name
        assert field.description, name


def test_from_env_reads_the_documented_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in env_names().values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h:5432/d")
    monkeypatch.setenv("GRIDSCORE_WINDOW_MS", "125")
    monkeypatch.setenv("GRIDSCORE_RECOVERY_DIR", "/tmp/rec")
    monkeypatch.setenv("API_CORS_ORIGINS", " http://localhost:5173, ,https://play.example.com ")
    monkeypatch.setenv("MQTT_TEAM_TOPICS", "true")
    monkeypatch.setenv("NOTIFY_MQTT", "false")
    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", "0.25")
    monkeypatch.setenv("database_url", "postgresql://lower@case/ignored")  # names are case-sensitive
    settings = get_settings()
    assert settings.database_url == "postgresql://u@h:5432/d"
    assert settings.window_ms == 125
    assert settings.recovery_dir == Path("/tmp/rec")
    assert settings.api_cors_origins == ("http://localhost:5173", "https://play.example.com")
    assert (settings.mqtt_team_topics, settings.notify_mqtt) == (True, False)
    assert settings.sentry_traces_sample_rate == 0.25
    assert settings.redis_url is None


def test_an_empty_variable_is_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("MQTT_URL", "GRIDSCORE_DATA_DIR", "METRICS_PORT", "REDIS_URL", "GRIDSCORE_RULESET"):
        monkeypatch.setenv(variable, "")
    monkeypatch.setenv("SYNC_SEASON", "0")  # documented: 0 or empty, the current year
    settings = Settings.from_env()
    defaults = Settings()
    assert settings.mqtt_url == defaults.mqtt_url == "mqtt://127.0.0.1:1883"
    assert settings.data_dir == defaults.data_dir == Path(".gridscore")
    assert settings.metrics_port == defaults.metrics_port == 9108
    assert settings.redis_url is None
    assert settings.ruleset is None  # the default rule set: scoring names it, once
    assert settings.sync_season is None


def test_a_bad_value_is_an_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METRICS_PORT", "ninety")
    with pytest.raises(ValidationError, match="METRICS_PORT"):
        Settings.from_env()
    monkeypatch.setenv("METRICS_PORT", "9108")
    monkeypatch.setenv("SMTP_STARTTLS", "perhaps")
    with pytest.raises(ValidationError, match="SMTP_STARTTLS"):
        Settings.from_env()


def test_constructed_settings_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", "redis://from-the-shell/0")
    monkeypatch.setenv("GRIDSCORE_LATENESS_MS", "9999")
    settings = Settings(database_url="postgresql://given/db")
    assert (settings.database_url, settings.redis_url, settings.lateness_ms) == (
        "postgresql://given/db",
        None,
        500,
    )
    with pytest.raises(ValidationError, match="databse_url"):
        Settings(databse_url="postgresql://typo/db")


def test_settings_are_frozen_and_keep_the_openf1_password_out_of_repr() -> None:
    settings = Settings(openf1_password="hunter2-hunter2")
    assert "hunter2" not in repr(settings)
    with pytest.raises(ValidationError):
        settings.window_ms = 1


def test_an_unset_ruleset_is_scorings_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRIDSCORE_RULESET", raising=False)
    assert load_ruleset(Settings.from_env().ruleset).name == DEFAULT_RULESET
    assert DEFAULT_RULESET in available_rulesets()
    monkeypatch.setenv("GRIDSCORE_RULESET", DEFAULT_RULESET)
    assert load_ruleset(Settings.from_env().ruleset).name == DEFAULT_RULESET


APP_SERVICES = ("migrate", "api", "engine", "worker", "beat")


def test_every_setting_reaches_a_compose_container() -> None:
    """A setting edited in `.env` reaches the containers under docker compose: compose reads `.env` only
    for the `${...}` of docker-compose.yml, so a variable it does not pass (SENTRY_DSN, API_CORS_ORIGINS,
    API_WORKERS were such) was silently ignored by the stack that docs/operations.md tells to restart."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    passed: set[str] = set()
    for name in APP_SERVICES:
        passed |= set(compose["services"][name]["environment"])
    assert set(env_names().values()) - passed == set()


# The one compose default that is not the setting's own, on purpose: the settings' default suits a
# developer's machine, the demo and the tests, while the stack compose runs is a deployment.
COMPOSE_OWN_DEFAULTS = {"GRIDSCORE_ENV": "production"}


def test_compose_defaults_are_the_settings_defaults() -> None:
    """A `${VAR:-default}` in docker-compose.yml is what the stack runs with when `.env` leaves VAR out: it
    must be the setting's own default (the window and lateness were 500 / 2000 ms there, 250 / 500 in
    the settings and the README), or the one named in COMPOSE_OWN_DEFAULTS."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    fields = {field.validation_alias: field for field in Settings.model_fields.values()}
    differing = {}
    for name in APP_SERVICES:
        for variable, value in compose["services"][name]["environment"].items():
            given = re.fullmatch(r"\$\{(\w+):-(.+)\}", str(value))
            if not (given and variable in fields):
                continue
            if given.group(2) != COMPOSE_OWN_DEFAULTS.get(variable, str(fields[variable].default)):
                differing[f"{name}.{variable}"] = (given.group(2), fields[variable].default)
    assert differing == {}
