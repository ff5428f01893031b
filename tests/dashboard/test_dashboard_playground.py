"""The Playground page: a prompt sent through chat, its reply and its trace."""

from __future__ import annotations

from local_stack import messages


def playground(dashboard, stack):
    app = dashboard(stack)
    app.switch_page("views/playground.py").run()
    assert not app.exception, app.exception
    return app


def send(app, prompt, **fields):
    by_label = {area.label: area for area in app.text_area}
    by_label["Prompt"].input(prompt)
    if "system" in fields:
        by_label["System prompt"].input(fields["system"])
    inputs = {box.label: box for box in app.text_input}
    if "model" in fields:
        inputs["Model"].input(fields["model"])
    if "temperature" in fields:
        next(c for c in app.checkbox if c.label.startswith("Model's")).uncheck()
        app.slider[0].set_value(fields["temperature"])
    next(button for button in app.button if button.label == "Send").click().run()
    assert not app.exception, app.exception


def test_playground_sends_a_prompt_and_shows_the_reply(stack, dashboard):
    app = playground(dashboard, stack)

    send(app, "Hello from the playground", model="gemini-2.5-pro", temperature=0.3)

    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Cache"] == "MISS"
    captions = [caption.value for caption in app.caption]
    assert "Model gemini-2.5-pro through the mock provider." in captions
    assert shown["Outcome"] == "ok"
    assert app.code[0].value.endswith("You said: Hello from the playground")
    trace = stack.get("traces", limit=1)["items"][0]
    assert shown["Latency"] == f"{trace['latency_ms']:,.1f} ms"
    assert shown["Tokens"] == str(trace["total_tokens"])
    detail = stack.get("trace-detail", trace_id=trace["id"])
    assert detail["request"]["temperature"] == 0.3
    link = app.get("page_link")[0]
    assert trace["id"] in link.proto.label
    assert link.proto.page.endswith("traces")


def test_playground_repeat_is_a_cache_hit(stack, dashboard):
    app = playground(dashboard, stack)
    send(app, "Same prompt twice")

    send(app, "Same prompt twice")

    shown = {metric.label: metric.value for metric in app.metric}
    assert shown["Cache"] == "HIT"
    assert shown["Tokens"] == "0"


def test_playground_shows_what_the_function_refused(stack, dashboard):
    app = playground(dashboard, stack)

    send(app, "hello", model="not a model name!")

    assert "The chat function answered 400: invalid fields" in messages(app)
    assert not app.metric


def test_playground_with_a_refused_key_says_so(stack, dashboard):
    app = dashboard(stack.environment() | {"FLIGHT_RECORDER_API_KEY": "nope"})
    app.switch_page("views/playground.py").run()

    send(app, "hello")

    assert "refused the API key (HTTP 401)" in messages(app)
