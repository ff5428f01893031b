"""Google ID tokens for functions behind Cloud Run IAM, with a fake fetcher."""

from __future__ import annotations

import json

import pytest
import requests

from console import api, config, identity

BASE = "https://flight-recorder-abc-ew.a.run.app"


class FakeSession:
    """Answers every call with `{}` and keeps the headers it was sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def request(self, method, url, *, headers, timeout, **kwargs):
        self.sent.append(headers)
        response = requests.Response()
        response.status_code = 200
        response._content = json.dumps({"replays": []}).encode()
        return response


class FakeFetcher:
    """Hands out `token-1`, `token-2`, … and notes each audience asked for."""

    def __init__(self) -> None:
        self.audiences: list[str] = []

    def __call__(self, audience: str) -> str:
        self.audiences.append(audience)
        return f"token-{len(self.audiences)}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def recorder(settings, fetcher, clock=None):
    session = FakeSession()
    tokens = identity.IdTokens(fetcher, clock=clock or Clock())
    connection = config.resolve({config.BASE_URL: BASE, config.API_KEY: "k"} | settings)
    return api.Recorder(connection, session=session, id_tokens=tokens), session


def test_identity_token_sent_when_enabled():
    fetcher = FakeFetcher()
    calls, session = recorder({config.GOOGLE_AUTH: "true"}, fetcher)

    calls.replays("a" * 32)

    assert session.sent[0]["X-Serverless-Authorization"] == "Bearer token-1"
    assert session.sent[0]["X-API-Key"] == "k"
    assert "Authorization" not in session.sent[0]
    assert fetcher.audiences == [BASE]


@pytest.mark.parametrize(
    "settings",
    [{}, {config.GOOGLE_AUTH: "false"}, {config.GOOGLE_AUTH: "off", "K_SERVICE": "d"}],
)
def test_identity_token_not_sent_when_disabled(settings):
    fetcher = FakeFetcher()
    calls, session = recorder(settings, fetcher)

    calls.replays("a" * 32)

    assert "X-Serverless-Authorization" not in session.sent[0]
    assert fetcher.audiences == []


def test_identity_on_by_default_on_cloud_run(monkeypatch):
    monkeypatch.delenv(config.GOOGLE_AUTH, raising=False)
    monkeypatch.setenv("K_SERVICE", "flight-recorder-dashboard")

    assert config.from_environment({}).google_auth is True
    monkeypatch.delenv("K_SERVICE")
    assert config.from_environment({}).google_auth is False


def test_identity_token_reused_within_its_lifetime():
    fetcher, clock = FakeFetcher(), Clock()
    calls, session = recorder({config.GOOGLE_AUTH: "1"}, fetcher, clock)

    calls.replays("a" * 32)
    clock.now += identity.REUSE_SECONDS - 1
    calls.traces({}, limit=5)
    clock.now += 1
    calls.metrics("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")

    tokens = [headers["X-Serverless-Authorization"] for headers in session.sent]
    assert tokens == ["Bearer token-1", "Bearer token-1", "Bearer token-2"]
    assert identity.REUSE_SECONDS < 3600


def test_identity_one_token_per_audience():
    fetcher = FakeFetcher()
    calls, session = recorder(
        {
            config.GOOGLE_AUTH: "yes",
            "FLIGHT_RECORDER_REPLAY_URL": "https://replay-xyz.a.run.app/",
        },
        fetcher,
    )

    calls.replays("a" * 32)
    calls.traces({}, limit=5)
    calls.replays("b" * 32)

    assert fetcher.audiences == ["https://replay-xyz.a.run.app", BASE]
    tokens = [headers["X-Serverless-Authorization"] for headers in session.sent]
    assert tokens == ["Bearer token-1", "Bearer token-2", "Bearer token-1"]


def test_identity_failure_to_get_a_token_is_a_page_message():
    def refuse(audience):
        raise identity.TokenUnavailable(f"no credentials for {audience}")

    calls, session = recorder({config.GOOGLE_AUTH: "true"}, refuse)

    with pytest.raises(api.NoIdToken) as failed:
        calls.replays("a" * 32)

    assert "needs a Google ID token" in failed.value.message
    assert "no credentials for https://flight-recorder" in failed.value.message
    assert session.sent == []


def test_identity_google_fetcher_failure_becomes_token_unavailable(monkeypatch):
    import google.auth.exceptions
    import google.oauth2.id_token

    def no_credentials(request, audience):
        raise google.auth.exceptions.DefaultCredentialsError("none found")

    monkeypatch.setattr(google.oauth2.id_token, "fetch_id_token", no_credentials)

    with pytest.raises(identity.TokenUnavailable, match="none found"):
        identity.fetch_from_google(BASE)


def test_identity_unknown_flag_names_the_variable():
    connection = config.resolve({config.BASE_URL: BASE, config.GOOGLE_AUTH: "maybe"})

    with pytest.raises(config.NotConfigured, match=config.GOOGLE_AUTH):
        connection.url("chat")
