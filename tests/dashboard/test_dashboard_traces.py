"""The Traces page: the table, its filters, paging and one trace in full."""

from __future__ import annotations

from local_stack import messages, table_with

from console import display
from flight_recorder import seed
from recorder_testing import require_prompts


def traces_page(dashboard, target):
    app = dashboard(target)
    app.switch_page("views/traces.py").run()
    assert not app.exception, app.exception
    return app


def open_trace(app, trace_id):
    chooser = next(box for box in app.selectbox if box.label == "Open a trace")
    chooser.set_value(trace_id).run()
    assert not app.exception, app.exception


def test_traces_table_lists_the_known_calls_newest_first(seeded, dashboard):
    expected = seeded.all_traces()

    app = traces_page(dashboard, seeded)

    table = table_with(app, "prompt")
    assert list(table["id"]) == [trace["id"] for trace in expected]
    assert list(table["time (UTC)"]) == [
        display.utc(trace["created_at"]) for trace in expected
    ]
    assert list(table["cache"]).count("hit") == 2
    assert table.iloc[0]["status"] == "rate_limited"
    assert table.iloc[0]["prompt"] == "Is this call refused?"
    assert "Page 1: 11 of 11 traces shown" in app.caption[0].value


def test_traces_filter_by_status_cache_model_and_session(seeded, dashboard):
    app = traces_page(dashboard, seeded)

    app.selectbox(key="traces_status").set_value("rate_limited").run()
    assert len(table_with(app, "prompt")) == 1

    app.selectbox(key="traces_status").set_value("Any")
    app.selectbox(key="traces_cache").set_value("Hits").run()
    hits = table_with(app, "prompt")
    assert sorted(hits["prompt"]) == ["Explain TCP slow start", "What is a B-tree?"]

    app.selectbox(key="traces_cache").set_value("Any")
    app.text_input(key="traces_model").input("gemini-2.5-pro").run()
    assert len(table_with(app, "prompt")) == 2

    app.text_input(key="traces_model").input("")
    app.text_input(key="traces_session").input("s-beta").run()
    assert sorted(table_with(app, "prompt")["prompt"]) == [
        "Explain TCP slow start",
        "What does a flight recorder record?",
    ]


def test_traces_search_narrows_the_loaded_page(seeded, dashboard):
    app = traces_page(dashboard, seeded)

    app.text_input(key="traces_search").input("b-TREE").run()

    assert list(table_with(app, "prompt")["prompt"]) == ["What is a B-tree?"] * 2


def test_traces_open_one_shows_the_whole_trace(seeded, dashboard):
    answer = next(a for a in seeded.answers if a.get("model") == "gemini-2.5-pro")
    app = traces_page(dashboard, seeded)

    open_trace(app, answer["trace_id"])

    blocks = [block.value for block in app.code]
    assert "Name three prime numbers" in blocks
    assert answer["reply"] in blocks
    assert f"Trace {answer['trace_id']}" in [head.value for head in app.subheader]
    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Status"] == "ok"
    assert shown["Cache"] == "miss"
    assert shown["Total tokens"] == display.count(answer["usage"]["total_tokens"])
    assert app.json[0].value  # the raw document
    parameters = table_with(app, "parameter").set_index("parameter")["value"]
    assert parameters["model"] == "gemini-2.5-pro"


def test_traces_open_a_failed_call_shows_its_error(seeded, dashboard):
    refused = seeded.answers[-1]["error"]
    app = traces_page(dashboard, seeded)

    open_trace(app, refused["trace_id"])

    assert "rate_limited (HTTP 429)" in messages(app)


def test_traces_open_the_trace_named_in_the_address(seeded, dashboard):
    trace_id = seeded.answers[3]["trace_id"]
    app = dashboard(seeded)
    app.query_params["trace"] = trace_id
    app.switch_page("views/traces.py").run()

    blocks = [block.value for block in app.code]
    assert "Summarise the CAP theorem" in blocks
    assert "Answer in one line." in blocks


def test_traces_page_through_prompts_seeded_from_the_shared_file(
    stack, dashboard, capsys
):
    corpus = require_prompts()
    status = seed.main(
        [
            "--file",
            str(corpus),
            "--n",
            "7",
            "--chat-url",
            stack.urls["chat"],
            "--api-key",
            "dashboard-test-key",
        ]
    )
    for number in range(20):
        stack.chat({"message": f"extra prompt {number}", "bypass_cache": True})
    app = traces_page(dashboard, stack)

    assert status == 0
    assert "total                            7" in capsys.readouterr().out
    first = table_with(app, "prompt")
    assert len(first) == 20
    next(b for b in app.button if b.label == "Older ▶").click().run()
    second = table_with(app, "prompt")
    assert not set(first["id"]) & set(second["id"])
    total = len(stack.get("traces", limit=100)["items"])
    assert len(first) + len(second) == total
    next(b for b in app.button if b.label == "◀ Newer").click().run()
    assert list(table_with(app, "prompt")["id"]) == list(first["id"])
