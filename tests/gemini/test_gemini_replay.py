"""Replays in Gemini mode: the stand-in answers differently the second time."""

from __future__ import annotations

from flight_recorder import gemini_standin


def test_replay_against_a_changed_answer_reports_changed_with_the_diff(
    client, chat, standin, trace_of
):
    standin.script(gemini_standin.reply("Paris.\nIt is the capital of France."))
    original = chat("What is the capital of France?").get_json()
    standin.script(gemini_standin.reply("Paris.\nIt has been the capital since 987."))

    comparison = client("replay").post("/", json={"trace_id": original["trace_id"]})

    body = comparison.get_json()
    assert comparison.status_code == 200
    assert body["verdict"] == "changed"
    assert body["diff"] == [
        "--- original",
        "+++ replay",
        "@@ -1,2 +1,2 @@",
        " Paris.",
        "-It is the capital of France.",
        "+It has been the capital since 987.",
    ]
    assert 0.5 < body["similarity"] < 1
    assert body["finish_reason"] == {
        "original": "STOP",
        "replay": "STOP",
        "delta": None,
    }
    replayed = trace_of(body["replay_trace_id"])
    assert replayed["provider"] == "gemini"
    assert replayed["replay_of"] == original["trace_id"]
    assert len(standin.received) == 2


def test_replay_against_a_failing_provider_leaves_the_original_untouched(
    client, chat, standin, trace_of
):
    original = chat("Hello").get_json()
    before = trace_of(original["trace_id"])
    standin.script(gemini_standin.unavailable())

    body = (
        client("replay").post("/", json={"trace_id": original["trace_id"]}).get_json()
    )

    assert body["verdict"] == "failed"
    assert body["error"].startswith("provider_unavailable")
    assert trace_of(original["trace_id"]) == before
    assert trace_of(body["replay_trace_id"])["error"]["provider_status"] == 503
