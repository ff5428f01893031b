"""Traces: the recorded calls, newest first, filtered, paged, and one in full,
with its replays."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console import api, display, fetch, replay, timerange

STATUSES = ["Any", "ok", "blocked", "empty", "error", "rate_limited"]
CACHE = {"Any": None, "Hits": "true", "Misses": "false"}
PAGE_SIZES = [20, 50, 100]
NO_TRACE = "—"

st.title("Traces")

# A trace named in the address (as the Playground links) opens once.
linked = st.query_params.get("trace")
if linked and st.session_state.get("linked_trace") != linked:
    st.session_state["linked_trace"] = linked
    st.session_state["open_trace"] = linked

with st.container(border=True):
    row = st.columns(4)
    status = row[0].selectbox("Status", STATUSES, key="traces_status")
    cache = row[1].selectbox("Cache", list(CACHE), key="traces_cache")
    model = row[2].text_input("Model", key="traces_model").strip()
    session = row[3].text_input("Session id", key="traces_session").strip()
    lower = st.columns([2, 1, 2])
    with lower[0]:
        span = timerange.pick("traces", allow_all=True, default=timerange.ALL_TIME)
    size = lower[1].selectbox("Per page", PAGE_SIZES, key="traces_limit")
    search = lower[2].text_input(
        "Search this page", key="traces_search", help="Prompt and reply previews."
    )

filters = {
    "status": None if status == "Any" else status,
    "cached": CACHE[cache],
    "model": model or None,
    "session_id": session or None,
    "since": None if span.since is None else display.iso(span.since),
    "until": None if span.until is None else display.iso(span.until),
}
query = tuple((name, value) for name, value in filters.items() if value is not None)

# Other filters start the paging over from the newest trace.
if st.session_state.get("traces_query") != (query, size):
    st.session_state["traces_query"] = (query, size)
    st.session_state["traces_cursors"] = [None]
cursors: list[str | None] = st.session_state["traces_cursors"]

with fetch.failures_stop_the_page():
    page = fetch.traces(fetch.connection(), query, size, cursors[-1])


def table(items: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "time (UTC)": display.utc(item["created_at"]),
            "status": item["status"],
            "model": item["model"],
            "cache": "hit" if item["cached"] else "",
            "latency ms": item["latency_ms"],
            "tokens": item["total_tokens"],
            "session": item["session_id"],
            "prompt": item["message_preview"],
            "reply": item["reply_preview"],
            "error": item["error_code"],
            "id": item["id"],
        }
        for item in items
    ]
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["id"])


def matches(item: dict[str, Any], words: str) -> bool:
    text = f"{item['message_preview']} {item['reply_preview'] or ''}".casefold()
    return words.casefold() in text


items = [item for item in page["items"] if not search or matches(item, search)]
st.caption(
    f"Page {len(cursors)}: {len(items)} of {len(page['items'])} traces shown"
    f"{' (search applied)' if search else ''}; newest first, {span.describe()}."
)


def open_selected_row() -> None:
    rows = st.session_state["traces_table"].selection.rows
    if rows:
        st.session_state["open_trace"] = items[rows[0]]["id"]


st.dataframe(
    table(items),
    hide_index=True,
    on_select=open_selected_row,
    selection_mode="single-row",
    key="traces_table",
)

newer, older, _ = st.columns([1, 1, 6])
if newer.button("◀ Newer", disabled=len(cursors) == 1):
    cursors.pop()
    st.rerun()
if older.button("Older ▶", disabled=page["next_cursor"] is None):
    cursors.append(page["next_cursor"])
    st.rerun()

choices = [NO_TRACE] + [item["id"] for item in items]
opened = st.session_state.get("open_trace")
if opened and opened not in choices:
    choices.append(opened)
labels = {
    item["id"]: f"{display.utc(item['created_at'])} · {item['id']}" for item in items
}
chosen = st.selectbox(
    "Open a trace",
    choices,
    index=choices.index(opened) if opened in choices else 0,
    format_func=lambda value: labels.get(value, value),
)
st.session_state["open_trace"] = None if chosen == NO_TRACE else chosen
if chosen is None or chosen == NO_TRACE:
    st.stop()

with fetch.failures_stop_the_page():
    trace = fetch.trace(fetch.connection(), chosen)


def text_block(title: str, recorded: dict[str, Any] | None) -> None:
    st.markdown(f"**{title}**")
    if recorded is None:
        st.caption("none")
        return
    st.code(recorded["text"], language=None, wrap_lines=True)
    if recorded["truncated"]:
        st.caption(
            f"Stored cut at {len(recorded['text']):,} of {recorded['chars']:,} "
            "characters."
        )


st.divider()
st.subheader(f"Trace {trace['id']}")
request = trace["request"]
response = trace.get("response") or {}
usage = trace.get("usage") or {}
facts = st.columns(5)
facts[0].metric("Status", trace["status"])
facts[1].metric("Latency", display.milliseconds(trace["latency_ms"]))
facts[2].metric("Provider latency", display.milliseconds(trace["provider_latency_ms"]))
facts[3].metric("Cache", "hit" if trace["cached"] else "miss")
facts[4].metric("Total tokens", display.count(usage.get("total_tokens")))
st.caption(f"Recorded {display.utc(trace['created_at'])}.")

error = trace.get("error")
if error:
    st.error(
        f"{error['code']} (HTTP {error['status']}): {error['message']}"
        + (
            f" — provider said {error['provider_status']}: "
            f"{error.get('provider_message') or ''}"
            if error.get("provider_status")
            else ""
        )
    )

text_block("Prompt", request["message"])
text_block("System prompt", request.get("system"))
text_block("Reply", response.get("reply"))

left, right = st.columns(2)
with left:
    st.markdown("**Parameters**")
    st.table(
        pd.DataFrame(
            [
                ("provider", trace["provider"]),
                ("model", trace["model"]),
                ("model version", response.get("model_version")),
                ("temperature", request.get("temperature")),
                ("max output tokens", request.get("max_output_tokens")),
                ("bypass cache", request.get("bypass_cache")),
                ("finish reason", response.get("finish_reason")),
                ("session", trace.get("session_id")),
                ("user", trace.get("user_id")),
                ("tags", ", ".join(trace.get("tags") or [])),
                ("cache source", trace.get("cache_source_trace_id")),
            ],
            columns=["parameter", "value"],
        ).astype(str)
    )
with right:
    st.markdown("**Usage and timings**")
    st.table(
        pd.DataFrame(
            [
                ("recorded (UTC)", display.utc(trace["created_at"])),
                ("latency", display.milliseconds(trace["latency_ms"])),
                (
                    "provider latency",
                    display.milliseconds(trace["provider_latency_ms"]),
                ),
                ("input tokens", display.count(usage.get("input_tokens"))),
                ("output tokens", display.count(usage.get("output_tokens"))),
                ("thought tokens", display.count(usage.get("thought_tokens"))),
                ("total tokens", display.count(usage.get("total_tokens"))),
                ("estimated cost", display.usd(trace.get("cost_usd"))),
            ],
            columns=["measure", "value"],
        )
    )

with st.expander("Raw JSON"):
    st.json(trace)

st.divider()
st.subheader("Replay")
overrides = replay.overrides_form(trace)
if overrides is not None:
    # A replay is an action: never cached, and it makes the list stale.
    try:
        with st.spinner("Replaying…"):
            done = fetch.recorder().replay(trace["id"], overrides)
    except api.DashboardError as failure:
        fetch.show(failure)
    else:
        st.session_state["replay_result"] = done
        fetch.replays.clear()

latest = st.session_state.get("replay_result")
if latest is not None and latest["original_trace_id"] == trace["id"]:
    replay.show(latest)

st.markdown("**Earlier replays of this trace**")
try:
    earlier = fetch.replays(fetch.connection(), trace["id"])
except api.DashboardError as failure:
    fetch.show(failure)
    st.stop()
if not earlier:
    st.caption("None yet.")
    st.stop()

st.dataframe(replay.table(earlier), hide_index=True, key="replays_table")
by_id = {comparison["id"]: comparison for comparison in earlier}
picked = st.selectbox(
    "Show a replay",
    [NO_TRACE, *by_id],
    format_func=lambda value: replay.label(by_id[value]) if value in by_id else value,
    key="replays_pick",
)
if picked in by_id:
    with st.container(border=True):
        replay.show(by_id[picked])
