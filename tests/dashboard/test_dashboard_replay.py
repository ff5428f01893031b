"""Replay on the Traces page, against the real replay function."""

from __future__ import annotations

from local_stack import messages, metrics_of, table_with

REPLAYED = "What is a B-tree?"


def recorded(stack):
    """The trace of one fresh call (the stack allows MAX_RPM calls a minute)."""
    answer = stack.chat({"message": REPLAYED}).json()
    assert answer["reply"] == f"[mock gemini-2.5-flash] You said: {REPLAYED}"
    return answer["trace_id"]


def trace_view(dashboard, stack, trace_id):
    app = dashboard(stack)
    app.query_params["trace"] = trace_id
    app.switch_page("views/traces.py").run()
    assert not app.exception, app.exception
    return app


def press_replay(app, model="", system=""):
    app.text_input(key="replay_model").input(model)
    app.text_area(key="replay_system").input(system)
    next(button for button in app.button if button.label == "Replay").click().run()
    assert not app.exception, app.exception


def diff_blocks(app):
    return [block.value for block in app.code if block.language == "diff"]


def test_replay_of_a_mock_trace_is_identical(stack, dashboard):
    trace_id = recorded(stack)
    app = trace_view(dashboard, stack, trace_id)

    press_replay(app)

    shown = metrics_of(app)
    assert shown["Verdict"].endswith("identical")
    assert shown["Similarity"] == "100.0%"
    assert diff_blocks(app) == []
    figures = table_with(app, "replay")
    assert figures.loc["total tokens", "delta"] == "+0"
    assert figures.loc["finish reason", "original"] == "STOP"
    stored = stack.get("replay", trace_id=trace_id)["replays"]
    assert [item["verdict"] for item in stored] == ["identical"]


def test_replay_with_another_model_shows_the_diff_and_both_in_the_list(
    stack, dashboard
):
    trace_id = recorded(stack)
    app = trace_view(dashboard, stack, trace_id)
    press_replay(app)

    press_replay(app, model="gemini-2.5-pro")

    assert metrics_of(app)["Verdict"].endswith("changed")
    diff = diff_blocks(app)[0].splitlines()
    assert f"-[mock gemini-2.5-flash] You said: {REPLAYED}" in diff
    assert f"+[mock gemini-2.5-pro] You said: {REPLAYED}" in diff
    stored = stack.get("replay", trace_id=trace_id)["replays"]
    listed = table_with(app, "replay trace")
    assert list(listed["verdict"]) == ["changed", "identical"]
    assert list(listed["replay trace"]) == [item["replay_trace_id"] for item in stored]
    assert list(listed["overrides"]) == ["model=gemini-2.5-pro", ""]
    replayed = stack.get("trace-detail", trace_id=stored[0]["replay_trace_id"])
    assert replayed["model"] == "gemini-2.5-pro"


def test_replay_list_picks_one_to_show_its_diff(stack, dashboard):
    trace_id = recorded(stack)
    app = trace_view(dashboard, stack, trace_id)
    press_replay(app, model="gemini-2.5-pro")
    press_replay(app)

    app = trace_view(dashboard, stack, trace_id)
    assert diff_blocks(app) == []
    stored = stack.get("replay", trace_id=trace_id)["replays"]
    changed = next(item for item in stored if item["verdict"] == "changed")
    app.selectbox(key="replays_pick").set_value(changed["id"]).run()

    assert diff_blocks(app) == ["\n".join(changed["diff"])]
    assert "+[mock gemini-2.5-pro]" in diff_blocks(app)[0]


def test_replay_list_is_read_again_after_a_replay(stack, dashboard):
    app = trace_view(dashboard, stack, recorded(stack))
    assert any(caption.value == "None yet." for caption in app.caption)

    press_replay(app)

    assert len(table_with(app, "replay trace")) == 1


def test_replay_refused_by_the_function_is_a_message(stack, dashboard):
    app = trace_view(dashboard, stack, recorded(stack))

    press_replay(app, model="no such model!")

    assert "The replay function answered 400" in messages(app)
    assert "Verdict" not in metrics_of(app)


def test_replay_failed_at_the_provider_shows_why(seeded, dashboard):
    # The known calls used up the minute's provider calls.
    app = trace_view(dashboard, seeded, seeded.answers[1]["trace_id"])

    press_replay(app)

    assert metrics_of(app)["Verdict"].endswith("failed")
    assert "The replay failed: rate_limited" in messages(app)
    listed = table_with(app, "replay trace")
    assert list(listed["verdict"]) == ["failed"]
