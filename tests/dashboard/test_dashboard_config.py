"""Where the dashboard looks for each function, and what it says when it can't."""

from __future__ import annotations

import json

import pytest

from console import api, config


def test_config_base_url_names_each_function():
    connection = config.resolve(
        {"FLIGHT_RECORDER_BASE_URL": "https://r-p.cloudfunctions.net/"}
    )

    assert connection.url("chat") == "https://r-p.cloudfunctions.net/chat"
    assert connection.url("trace-detail") == (
        "https://r-p.cloudfunctions.net/trace-detail"
    )
    assert connection.api_key is None


def test_config_a_function_url_wins_over_the_base_url():
    connection = config.resolve(
        {
            "FLIGHT_RECORDER_BASE_URL": "https://r-p.cloudfunctions.net",
            "FLIGHT_RECORDER_TRACE_DETAIL_URL": "http://127.0.0.1:8084/",
            "FLIGHT_RECORDER_API_KEY": " k-1 ",
        }
    )

    assert connection.url("trace-detail") == "http://127.0.0.1:8084/"
    assert connection.url("metrics") == "https://r-p.cloudfunctions.net/metrics"
    assert connection.api_key == "k-1"


def test_config_missing_url_names_the_variables_to_set():
    connection = config.resolve({"FLIGHT_RECORDER_CHAT_URL": "http://localhost:1/"})

    assert connection.url("chat") == "http://localhost:1/"
    with pytest.raises(config.NotConfigured) as missing:
        connection.url("metrics")
    assert "FLIGHT_RECORDER_METRICS_URL" in str(missing.value)
    assert "FLIGHT_RECORDER_BASE_URL" in str(missing.value)


@pytest.mark.parametrize("url", ["localhost:8081", "ftp://host/", "http://", " "])
def test_config_refuses_what_is_not_an_http_url(url):
    connection = config.resolve({"FLIGHT_RECORDER_HEALTH_URL": url})

    with pytest.raises(config.NotConfigured):
        connection.url("health")


def test_config_environment_comes_before_secrets(monkeypatch):
    monkeypatch.setenv("FLIGHT_RECORDER_BASE_URL", "http://from-env")
    monkeypatch.delenv("FLIGHT_RECORDER_API_KEY", raising=False)
    secrets = {
        "FLIGHT_RECORDER_BASE_URL": "http://from-secrets",
        "FLIGHT_RECORDER_API_KEY": "secret-key",
    }

    connection = config.from_environment(secrets)

    assert connection.url("traces") == "http://from-env/traces"
    assert connection.api_key == "secret-key"


def test_config_the_key_is_not_shown_in_the_connection():
    connection = config.resolve({"FLIGHT_RECORDER_API_KEY": "hidden"})

    assert "hidden" not in repr(connection)


def test_api_sends_the_key_as_x_api_key(stack):
    good = config.resolve(stack.environment())
    bad = config.resolve(stack.environment() | {"FLIGHT_RECORDER_API_KEY": "x"})

    assert api.Recorder(good).health()["status"] == "ok"
    assert api.Recorder(good).traces({}, limit=5)["items"] == []
    with pytest.raises(api.KeyRefused):
        api.Recorder(bad).traces({}, limit=5)


def test_api_error_answers_carry_their_code(stack):
    recorder = api.Recorder(config.resolve(stack.environment()))

    with pytest.raises(api.RequestFailed) as failed:
        recorder.trace("0" * 32)

    assert failed.value.status == 404
    assert failed.value.code == "not_found"


def test_api_export_reads_the_json_lines(stack):
    stack.chat({"message": "exported"})
    recorder = api.Recorder(config.resolve(stack.environment()))

    lines = recorder.export({}).decode().splitlines()

    assert len(lines) == 1
    assert json.loads(lines[0])["request"]["message"]["text"] == "exported"
