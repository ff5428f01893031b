"""The stand-in itself: routes, the key check, scripting by name, the echo."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from gemini_testing import TEST_KEY

from flight_recorder.gemini_standin import GeminiStandIn


@pytest.fixture
def server():
    standin = GeminiStandIn(api_key=TEST_KEY).start()
    yield standin
    standin.stop()


def call(server, path, body=None, key=TEST_KEY, method="POST"):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key is not None:
        request.add_header("x-goog-api-key", key)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


GENERATE = "/v1beta/models/gemini-2.5-flash:generateContent"
PROMPT = {"contents": [{"role": "user", "parts": [{"text": "ping"}]}]}


def test_gemini_standin_echoes_when_nothing_is_scripted(server):
    status, body = call(server, GENERATE, PROMPT)

    assert status == 200
    text = body["candidates"][0]["content"]["parts"][0]["text"]
    assert text == "[gemini stand-in gemini-2.5-flash] You said: ping"
    assert body["usageMetadata"]["promptTokenCount"] == 1
    assert call(server, GENERATE, PROMPT)[1] == body


@pytest.mark.parametrize(
    ("key", "status", "google_status"),
    [(None, 403, "PERMISSION_DENIED"), ("wrong", 400, "INVALID_ARGUMENT")],
)
def test_gemini_standin_refuses_a_missing_or_wrong_key(
    server, key, status, google_status
):
    answered, body = call(server, GENERATE, PROMPT, key=key)

    assert answered == status
    assert body["error"]["status"] == google_status


def test_gemini_standin_answers_unknown_routes_with_404(server):
    status, body = call(server, "/v1beta/models/x:streamGenerateContent", PROMPT)

    assert status == 404
    assert body["error"]["status"] == "NOT_FOUND"


def test_gemini_standin_scripts_by_name_over_http(server):
    scripted = call(server, "/_standin/script", {"answers": ["unavailable", "ok"]})

    first = call(server, GENERATE, PROMPT)
    second = call(server, GENERATE, PROMPT)
    third = call(server, GENERATE, PROMPT)

    assert scripted == (200, {"scripted": ["unavailable", "ok"]})
    assert first[0] == 503
    assert second[1]["candidates"][0]["content"]["parts"][0]["text"] == (
        "Hello from the stand-in."
    )
    assert "You said: ping" in json.dumps(third[1])
    received = call(server, "/_standin/received", method="GET")[1]["received"]
    assert [each["model"] for each in received] == ["gemini-2.5-flash"] * 3
    assert received[0]["headers"]["x-goog-api-key"] == "[redacted]"
    assert TEST_KEY not in json.dumps(received)


def test_gemini_standin_refuses_unknown_names(server):
    status, body = call(server, "/_standin/script", {"answers": ["nope"]})

    assert status == 400
    assert "daily_quota" in body["error"]["message"]
