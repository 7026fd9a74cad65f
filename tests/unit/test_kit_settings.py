"""Settings from the environment: what is missing or wrong is named at start."""

from __future__ import annotations

import pytest

from nahnetz.kit.settings import DEV_JWT_SECRET, SettingsError, load_settings

REQUIRED = {"KAFKA_BOOTSTRAP": "127.0.0.1:9092", "REDIS_URL": "redis://127.0.0.1:6379/0"}


@pytest.fixture
def env(monkeypatch):
    for name in ("KAFKA_BOOTSTRAP", "REDIS_URL", "NAHNETZ_ENV", "NAHNETZ_JWT_SECRET", "NAHNETZ_LOG_LEVEL",
                 "NAHNETZ_HTTP_PORT", "NAHNETZ_HTTP_HOST", "NAHNETZ_SERVICE", "NAHNETZ_CLOCK_FILE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_missing_variables_are_named(env):
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert "KAFKA_BOOTSTRAP: missing" in message
    assert "REDIS_URL: missing" in message
    assert caught.value.code == message  # SystemExit prints it and exits with 1


def test_the_environment_fills_the_settings(env):
    for name, value in {**REQUIRED, "NAHNETZ_SERVICE": "orders", "NAHNETZ_HTTP_PORT": "8101",
                        "NAHNETZ_LOG_LEVEL": "debug"}.items():
        env.setenv(name, value)
    s = load_settings()
    assert (s.kafka_bootstrap, s.service, s.http_port, s.log_level, s.env) == (
        "127.0.0.1:9092", "orders", 8101, "debug", "dev")
    assert s.http_host == "127.0.0.1"


def test_wrong_values_are_named(env):
    for name, value in {**REQUIRED, "NAHNETZ_HTTP_PORT": "eighty", "NAHNETZ_ENV": "staging"}.items():
        env.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "NAHNETZ_HTTP_PORT:" in str(caught.value)
    assert "NAHNETZ_ENV:" in str(caught.value)


def test_production_refuses_the_development_secret_and_short_secrets(env):
    for name, value in {**REQUIRED, "NAHNETZ_ENV": "prod"}.items():
        env.setenv(name, value)
    with pytest.raises(SettingsError, match="NAHNETZ_JWT_SECRET must be set in production"):
        load_settings()
    env.setenv("NAHNETZ_JWT_SECRET", "too-short")
    with pytest.raises(SettingsError, match="at least 32 characters"):
        load_settings()
    env.setenv("NAHNETZ_JWT_SECRET", "x" * 40)
    assert load_settings().jwt_secret == "x" * 40


def test_development_may_use_the_development_secret(env):
    for name, value in REQUIRED.items():
        env.setenv(name, value)
    assert load_settings().jwt_secret == DEV_JWT_SECRET


def test_production_refuses_a_simulated_clock(env, tmp_path):
    for name, value in {**REQUIRED, "NAHNETZ_ENV": "prod", "NAHNETZ_JWT_SECRET": "x" * 40,
                        "NAHNETZ_CLOCK_FILE": str(tmp_path / "clock")}.items():
        env.setenv(name, value)
    with pytest.raises(SettingsError, match="NAHNETZ_CLOCK_FILE"):
        load_settings()
    env.setenv("NAHNETZ_ENV", "dev")
    assert load_settings().clock_file == str(tmp_path / "clock")
