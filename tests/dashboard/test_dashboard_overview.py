"""The Overview page over known calls made through the chat function."""

from __future__ import annotations

from local_stack import messages, metrics_of, nearest_rank, table_with

from console import display


def test_overview_shows_the_figures_of_the_known_calls(seeded, dashboard):
    traces = seeded.all_traces()
    latencies = [trace["latency_ms"] for trace in traces]
    tokens = sum(answer["usage"]["total_tokens"] for answer in seeded.answers[:10])
    cost = sum(trace.get("cost_usd") or 0 for trace in traces)

    app = dashboard(seeded)

    assert not app.exception
    shown = metrics_of(app)
    assert shown["Requests"] == "11"
    assert shown["Errors"] == "1"
    assert shown["Error rate"] == "9.1%"
    assert shown["Cache hit rate"] == "18.2%"
    assert shown["Tokens"] == display.count(tokens)
    assert shown["Estimated cost"] == display.usd(cost)
    for percentile in (50, 95, 99):
        expected = display.milliseconds(nearest_rank(latencies, percentile))
        assert shown[f"Latency p{percentile}"] == expected


def test_overview_breaks_the_calls_down_by_model_and_status(seeded, dashboard):
    app = dashboard(seeded)

    by_model = table_with(app, "model").set_index("model")
    assert by_model["requests"].to_dict() == {
        "gemini-2.5-flash": 9,
        "gemini-2.5-pro": 2,
    }
    assert by_model.loc["gemini-2.5-flash", "cache_hits"] == 2
    assert by_model.loc["gemini-2.5-flash", "errors"] == 1
    by_status = table_with(app, "status").set_index("status")
    assert by_status["requests"].to_dict() == {
        "ok": 10,
        "blocked": 0,
        "empty": 0,
        "error": 0,
        "rate_limited": 1,
    }


def test_overview_buckets_hold_every_call_in_utc(seeded, dashboard):
    app = dashboard(seeded)
    app.selectbox(key="overview_bucket").set_value("Minute").run()

    buckets = table_with(app, "bucket (UTC)")
    assert buckets["requests"].sum() == 11
    assert len(buckets) == 24 * 60
    assert all(label.endswith(":00") for label in buckets.index)
    assert "All times are UTC" in app.caption[0].value
    assert " UTC to " in app.caption[0].value


def test_overview_without_configuration_says_what_to_set(dashboard):
    app = dashboard(None)

    assert not app.exception
    assert "FLIGHT_RECORDER_METRICS_URL" in messages(app)
    assert "FLIGHT_RECORDER_BASE_URL" in messages(app)
    assert not app.metric


def test_overview_with_a_wrong_url_says_so(dashboard):
    app = dashboard({"FLIGHT_RECORDER_BASE_URL": "ftp://example.invalid"})

    assert not app.exception
    assert "FLIGHT_RECORDER_BASE_URL is not an http(s) URL" in messages(app)


def test_overview_of_an_unreachable_function_says_so(stack, dashboard):
    settings = stack.environment()
    settings["FLIGHT_RECORDER_METRICS_URL"] = "http://127.0.0.1:9/"

    app = dashboard(settings)

    assert not app.exception
    assert "Cannot reach the metrics function at http://127.0.0.1:9/" in messages(app)


def test_overview_with_a_refused_key_says_so(stack, dashboard):
    settings = stack.environment() | {"FLIGHT_RECORDER_API_KEY": "wrong"}

    app = dashboard(settings)

    assert not app.exception
    assert "refused the API key (HTTP 401)" in messages(app)


def test_overview_failure_is_not_cached(stack, dashboard):
    app = dashboard(stack.environment() | {"FLIGHT_RECORDER_API_KEY": "wrong"})
    assert "refused" in messages(app)

    app = dashboard(stack.environment())

    assert not messages(app)
    assert metrics_of(app)["Requests"] == "0"


def test_overview_reads_the_functions_through_a_base_url(seeded, dashboard):
    app = dashboard(
        {
            "FLIGHT_RECORDER_BASE_URL": seeded.base_url,
            "FLIGHT_RECORDER_API_KEY": "dashboard-test-key",
        }
    )

    assert not app.exception, app.exception
    assert metrics_of(app)["Requests"] == "11"


def test_overview_reads_its_settings_from_streamlit_secrets(seeded, dashboard):
    # Requesting `dashboard` clears the settings from the environment.
    from local_stack import APP
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(APP), default_timeout=60)
    app.secrets["FLIGHT_RECORDER_BASE_URL"] = seeded.base_url
    app.secrets["FLIGHT_RECORDER_API_KEY"] = "dashboard-test-key"

    app.run()

    assert not app.exception, app.exception
    assert metrics_of(app)["Requests"] == "11"
