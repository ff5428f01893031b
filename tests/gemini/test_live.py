"""One call to the real Gemini API; runs only when GOOGLE_API_KEY is set.

Run alone with `pytest -m live`. The key is read when the module loads, since
each test starts from an environment cleared of the recorder's settings.
"""

from __future__ import annotations

import os

import pytest

LIVE_KEY = os.environ.get("GOOGLE_API_KEY")
LIVE_MODEL = os.environ.get("GEMINI_LIVE_MODEL", "gemini-2.5-flash-lite")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE_KEY, reason="set GOOGLE_API_KEY to call Gemini"),
]


def test_live_gemini_answers_and_the_call_is_recorded(client, settings_env):
    settings_env(
        USE_MOCK_LLM="false",
        GOOGLE_API_KEY=LIVE_KEY or "",
        GEMINI_MODEL_NAME=LIVE_MODEL,
        GEMINI_TIMEOUT_SECONDS="60",
    )

    response = client("chat").post(
        "/",
        json={"message": "Reply with the single word: pong", "max_output_tokens": 256},
    )

    body = response.get_json()
    assert response.status_code == 200, body
    assert body["provider"] == "gemini"
    assert body["outcome"] in ("ok", "empty")
    assert body["usage"]["input_tokens"] > 0
    assert body["cost_usd"] is not None
    trace = client("trace_detail").get(f"/{body['trace_id']}").get_json()
    assert trace["response"]["model_version"]
    assert LIVE_KEY not in response.get_data(as_text=True)
