"""Every real prompt of the shared corpus goes through chat and reads back."""

from __future__ import annotations

import csv

import pytest

from recorder_testing import PROMPTS_CSV


def load_prompts():
    if not PROMPTS_CSV.exists():
        pytest.skip(f"the shared prompt corpus is missing: {PROMPTS_CSV}")
    csv.field_size_limit(10_000_000)
    with PROMPTS_CSV.open(newline="", encoding="utf-8") as handle:
        return [row["prompt"] for row in csv.DictReader(handle)]


def test_chat_records_every_corpus_prompt_exactly(client, settings_env, memory_store):
    settings_env(TRACE_TEXT_LIMIT_CHARS="1000000")
    prompts = load_prompts()
    chat, detail = client("chat"), client("trace_detail")
    assert len(prompts) == 1225
    assert any(not p.isascii() for p in prompts)

    outcomes = {"recorded": 0, "too_large": 0, "empty": 0}
    for prompt in prompts:
        response = chat.post("/", json={"message": prompt, "bypass_cache": True})
        if len(prompt) > 100_000:
            assert response.status_code == 413
            outcomes["too_large"] += 1
            continue
        if not prompt.strip():
            assert response.status_code == 400
            outcomes["empty"] += 1
            continue
        assert response.status_code == 200, response.get_data(as_text=True)
        trace_id = response.get_json()["trace_id"]
        stored = detail.get(f"/{trace_id}").get_json()["request"]["message"]
        assert stored["text"] == prompt
        assert stored["chars"] == len(prompt)
        outcomes["recorded"] += 1

    assert outcomes["too_large"] >= 1
    traces = memory_store.database["traces"].count_documents({})
    assert traces == outcomes["recorded"]


def test_chat_stores_long_corpus_prompts_truncated_with_their_hash(
    client, settings_env
):
    prompts = [p for p in load_prompts() if 32_768 < len(p) <= 100_000]
    chat, detail = client("chat"), client("trace_detail")
    assert prompts, "the corpus should hold prompts longer than the trace limit"

    for prompt in prompts:
        trace_id = chat.post("/", json={"message": prompt}).get_json()["trace_id"]
        stored = detail.get(f"/{trace_id}").get_json()["request"]["message"]
        assert stored["truncated"] is True
        assert stored["text"] == prompt[:32_768]
        assert stored["chars"] == len(prompt)
