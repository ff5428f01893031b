"""Chat in Gemini mode: what reaches the API, what comes back, what is recorded."""

from __future__ import annotations

import pytest
from gemini_testing import TEST_KEY

from flight_recorder import gemini_standin as answers


def test_gemini_chat_sends_the_request_the_api_expects(chat, standin):
    response = chat(
        "Explain TCP slow start",
        system="Answer in one sentence.",
        temperature=0.3,
        max_output_tokens=128,
        model="gemini-2.5-pro",
    )

    assert response.status_code == 200
    (seen,) = standin.received
    assert seen.headers["x-goog-api-key"] == TEST_KEY
    assert seen.path == "/v1beta/models/gemini-2.5-pro:generateContent"
    assert seen.body["contents"] == [
        {"role": "user", "parts": [{"text": "Explain TCP slow start"}]}
    ]
    assert seen.body["systemInstruction"]["parts"] == [
        {"text": "Answer in one sentence."}
    ]
    assert seen.body["generationConfig"] == {"temperature": 0.3, "maxOutputTokens": 128}
    # GEMINI_TIMEOUT_SECONDS=5 reaches the SDK as 5000 ms, not 5 ms.
    assert seen.headers["x-server-timeout"] == "5"


def test_gemini_chat_leaves_out_what_the_caller_did_not_set(chat, standin):
    chat("hi")

    (seen,) = standin.received
    assert "systemInstruction" not in seen.body
    assert seen.body.get("generationConfig", {}) == {}
    assert seen.path == "/v1beta/models/gemini-2.5-flash:generateContent"


def test_gemini_chat_answers_and_records_a_normal_reply(chat, standin, trace_of):
    response = chat("Explain TCP slow start")

    body = response.get_json()
    assert response.status_code == 200
    assert body["reply"] == (
        "[gemini stand-in gemini-2.5-flash] You said: Explain TCP slow start"
    )
    assert body["provider"] == "gemini"
    assert body["outcome"] == "ok"
    assert body["finish_reason"] == "STOP"
    assert body["usage"] == {
        "input_tokens": 6,
        "output_tokens": 17,
        "thought_tokens": None,
        "cached_tokens": None,
        "total_tokens": 23,
    }
    assert body["cost_usd"] == pytest.approx((6 * 0.30 + 17 * 2.50) / 1e6)
    trace = trace_of(body["trace_id"])
    assert trace["status"] == "ok"
    assert trace["provider"] == "gemini"
    assert trace["usage"] == body["usage"]
    assert trace["cost_usd"] == body["cost_usd"]
    assert trace["response"]["model_version"] == "gemini-2.5-flash"
    assert trace["response"]["response_id"]
    assert trace["response"]["candidate_count"] == 1
    assert trace["latency_ms"] >= trace["provider_latency_ms"] > 0


def test_gemini_chat_repeat_is_served_free_and_records_the_saving(chat, standin):
    first = chat("hello").get_json()
    second = chat("hello").get_json()

    assert second["cached"] is True
    assert second["cost_usd"] == 0
    assert second["saved_cost_usd"] == first["cost_usd"] > 0
    assert len(standin.received) == 1


def test_gemini_chat_reads_thoughts_and_cached_tokens_apart(chat, standin, trace_of):
    standin.script(answers.thought_and_cached())

    body = chat("hard question").get_json()

    assert body["reply"] == "The answer, after some thought."
    assert body["usage"] == {
        "input_tokens": 1000,
        "output_tokens": 100,
        "thought_tokens": 90,
        "cached_tokens": 600,
        "total_tokens": 1100,
    }
    assert body["cost_usd"] == pytest.approx(
        (400 * 0.30 + 600 * 0.03 + 100 * 2.50) / 1e6
    )
    assert trace_of(body["trace_id"])["cost_usd"] == body["cost_usd"]


def test_gemini_chat_without_usage_records_no_tokens_and_no_cost(
    chat, standin, trace_of
):
    standin.script(answers.no_usage())

    body = chat("hi").get_json()

    assert body["reply"] == "An answer without usage metadata."
    assert set(body["usage"].values()) == {None}
    assert body["cost_usd"] is None
    assert trace_of(body["trace_id"])["cost_usd"] is None


# answer, outcome, finish reason, block reason, candidates
WITHHELD = [
    pytest.param(answers.safety_stop(), "blocked", "SAFETY", None, 1, id="safety"),
    pytest.param(
        answers.prompt_blocked(),
        "blocked",
        None,
        "PROHIBITED_CONTENT",
        0,
        id="prompt-blocked",
    ),
    pytest.param(answers.no_candidates(), "blocked", None, None, 0, id="none"),
    pytest.param(
        answers.max_tokens_thought_only(), "empty", "MAX_TOKENS", None, 1, id="max"
    ),
    pytest.param(
        answers.reply("", finish_reason="STOP"), "empty", "STOP", None, 1, id="stop"
    ),
]


@pytest.mark.parametrize(
    ("answer", "outcome", "finish_reason", "block_reason", "candidates"), WITHHELD
)
def test_gemini_chat_answers_200_with_no_text_and_says_why(
    chat, standin, trace_of, answer, outcome, finish_reason, block_reason, candidates
):
    standin.script(answer, answer)

    response = chat("tell me")
    repeat = chat("tell me")

    body = response.get_json()
    assert response.status_code == 200
    assert body["reply"] == ""
    assert body["outcome"] == outcome
    assert body["blocked"] is (outcome == "blocked")
    assert body["finish_reason"] == finish_reason
    assert body["block_reason"] == block_reason
    trace = trace_of(body["trace_id"])
    assert trace["status"] == outcome
    assert trace["response"]["finish_reason"] == finish_reason
    assert trace["response"]["block_reason"] == block_reason
    assert trace["response"]["candidate_count"] == candidates
    assert trace["cost_usd"] is not None
    assert repeat.headers["X-Cache"] == "MISS"
    assert len(standin.received) == 2


def test_gemini_chat_records_the_safety_ratings(chat, standin, trace_of):
    standin.script(answers.safety_stop())

    body = chat("tell me").get_json()

    ratings = trace_of(body["trace_id"])["response"]["safety_ratings"]
    assert ratings[0] == {
        "category": "HARM_CATEGORY_DANGEROUS_CONTENT",
        "probability": "HIGH",
        "blocked": None,
    }


def test_gemini_chat_max_tokens_counts_the_thinking_as_output(chat, standin):
    standin.script(answers.max_tokens_thought_only())

    body = chat("think hard", max_output_tokens=64).get_json()

    assert body["usage"]["output_tokens"] == 64
    assert body["usage"]["thought_tokens"] == 64
    assert body["cost_usd"] == pytest.approx((12 * 0.30 + 64 * 2.50) / 1e6)


UNICODE = [
    "Crème brûlée, façade, naïve, Ångström",
    "日本語のテキスト、中文字符、한국어",
    "Emoji 🚀🔥 family 👨‍👩‍👧‍👦 flags 🇫🇷",
    "zero\u200bwidth\u200cjoin\u200dmark\ufeffhere",
    "RTL עברית العربية mixed",
]


@pytest.mark.parametrize("message", UNICODE)
def test_gemini_chat_unicode_round_trips(chat, standin, trace_of, message):
    body = chat(message, system=f"système {message}").get_json()

    (seen,) = standin.received
    assert seen.text == message
    assert seen.body["systemInstruction"]["parts"][0]["text"] == f"système {message}"
    assert body["reply"] == f"[gemini stand-in gemini-2.5-flash] You said: {message}"
    trace = trace_of(body["trace_id"])
    assert trace["request"]["message"]["text"] == message
    assert trace["response"]["reply"]["text"] == body["reply"]
