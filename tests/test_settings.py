"""Settings: defaults, `.env`, validation that names the variable."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter

from flight_recorder import settings
from flight_recorder.errors import ConfigurationError
from recorder_testing import REPO


def test_settings_defaults_run_the_mock_on_the_embedded_store(monkeypatch):
    monkeypatch.delenv("USE_MOCK_LLM")

    config = settings.load()

    assert config.USE_MOCK_LLM is True
    assert config.store_kind == "embedded"
    assert config.RATE_LIMIT_DAY_TIMEZONE == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MAX_RPM", "many"),
        ("MAX_RPM", "0"),
        ("MAX_RPD", "-1"),
        ("USE_MOCK_LLM", "perhaps"),
        ("RATE_LIMIT_DAY_TIMEZONE", "Mars/Olympus"),
        ("STORE_FAILURE_POLICY", "sometimes"),
        ("LOG_LEVEL", "LOUD"),
        ("MONGODB_DB_NAME", "bad name$"),
        ("GEMINI_TIMEOUT_SECONDS", "0"),
        ("MONGODB_URI", "postgres://user:pw@host/db"),
    ],
)
def test_settings_wrong_value_names_the_variable(monkeypatch, name, value):
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=name):
        settings.load()


def test_settings_error_does_not_echo_a_bad_connection_string(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "http://user:hunter2@host/")

    with pytest.raises(ConfigurationError) as error:
        settings.load()

    assert "hunter2" not in str(error.value)


def test_settings_empty_connection_string_means_the_embedded_store(monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "")

    assert settings.load().store_kind == "embedded"


def test_settings_gemini_mode_needs_a_key(monkeypatch):
    monkeypatch.setenv("USE_MOCK_LLM", "false")

    with pytest.raises(ConfigurationError, match="GOOGLE_API_KEY"):
        settings.load()


def test_settings_reads_a_local_env_file(monkeypatch, tmp_path):
    monkeypatch.delenv("MAX_RPM")
    (tmp_path / ".env").write_text("MAX_RPM=7\n")

    assert settings.load().MAX_RPM == 7


def test_settings_example_file_lists_every_setting_with_its_default():
    example = (REPO / ".env.example").read_text()
    listed = dict(re.findall(r"^([A-Z_]+)=(.*)$", example, flags=re.MULTILINE))

    assert set(listed) == set(settings.Settings.model_fields)
    for name, field in settings.Settings.model_fields.items():
        adapter = TypeAdapter(field.annotation)
        if field.default_factory is not None:
            value = adapter.validate_json(listed[name])
            assert value == field.default_factory(), name  # type: ignore[call-arg]
            continue
        if field.default is None:
            assert listed[name] == "", name
            continue
        value = adapter.validate_strings(listed[name])
        assert value == field.default, name
