"""Overview: volume, failures, cache, latency, tokens and cost over a time range."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from console import display, fetch, timerange

BUCKETS = {"Automatic": None, "Minute": "minute", "Hour": "hour", "Day": "day"}

st.title("Overview")

picker, size = st.columns([3, 1])
with picker:
    span = timerange.pick("overview")
with size:
    bucket = BUCKETS[st.selectbox("Bucket", list(BUCKETS), key="overview_bucket")]

with fetch.failures_stop_the_page():
    report = fetch.metrics(
        fetch.connection(),
        display.iso(span.since),  # type: ignore[arg-type]
        display.iso(span.until),  # type: ignore[arg-type]
        bucket,
    )

st.caption(
    f"{display.utc(report['since'])} to {display.utc(report['until'])}, "
    f"in buckets of {display.duration(report['bucket_seconds'])}. "
    "All times are UTC."
)

latency = report["latency_ms"]
tokens = report["tokens"]
first = st.columns(5)
first[0].metric("Requests", display.count(report["requests"]))
first[1].metric(
    "Error rate",
    display.percent(report["error_rate"]),
    help=f"{report['errors']} calls got no answer (provider or store failure, "
    "or a rate limit).",
)
first[2].metric(
    "Cache hit rate",
    display.percent(report["cache_hit_rate"]),
    help=f"{report['cache_hits']} calls answered from the cache.",
)
first[3].metric(
    "Estimated cost",
    display.usd(report["cost_usd"]),
    help=f"Summed over the {report['priced_requests']} calls with a cost estimate.",
)
first[4].metric("Saved by the cache", display.usd(report["saved_cost_usd"]))

second = st.columns(5)
second[0].metric("Latency p50", display.milliseconds(latency["p50_ms"]))
second[1].metric("Latency p95", display.milliseconds(latency["p95_ms"]))
second[2].metric("Latency p99", display.milliseconds(latency["p99_ms"]))
second[3].metric(
    "Tokens",
    display.count(tokens["total"]),
    help=f"{tokens['input']:,} input and {tokens['output']:,} output tokens.",
)
second[4].metric("Errors", display.count(report["errors"]))


def bucket_frame(buckets: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(buckets)
    frame["start"] = pd.to_datetime(frame["start"], utc=True)
    frame["bucket (UTC)"] = frame["start"].dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame


def time_axis() -> alt.X:
    # A UTC scale, or Vega-Lite would draw the axis in the browser's zone.
    return alt.X(
        "start:T",
        title="Bucket start (UTC)",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%Y-%m-%d %H:%M"),
    )


frame = bucket_frame(report["buckets"])
tooltip = ["bucket (UTC)", "requests", "errors", "cache_hits"]
volume, speed = st.columns(2)
with volume:
    st.subheader("Requests over time")
    chart = alt.Chart(frame).mark_bar().encode(time_axis(), alt.Y("requests:Q"))
    st.altair_chart(chart.encode(tooltip=tooltip), width="stretch")
with speed:
    st.subheader("Latency over time")
    lines = frame.melt(
        id_vars=["start", "bucket (UTC)"],
        value_vars=["avg_latency_ms", "max_latency_ms"],
        var_name="measure",
        value_name="ms",
    ).dropna()
    if lines.empty:
        st.caption("No calls in this range.")
    else:
        chart = (
            alt.Chart(lines)
            .mark_line(point=True)
            .encode(
                time_axis(),
                alt.Y("ms:Q", title="Latency (ms)"),
                alt.Color("measure:N", title=None),
                tooltip=["bucket (UTC)", "measure", "ms"],
            )
        )
        st.altair_chart(chart, width="stretch")

models, statuses = st.columns(2)
with models:
    st.subheader("By model")
    by_model = pd.DataFrame(
        report["by_model"],
        columns=[
            "model",
            "requests",
            "errors",
            "cache_hits",
            "total_tokens",
            "cost_usd",
        ],
    )
    st.dataframe(by_model, hide_index=True, width="stretch", key="by_model")
    if report["other_models_requests"]:
        st.caption(f"{report['other_models_requests']} requests to other models.")
with statuses:
    st.subheader("By status")
    by_status = pd.DataFrame(
        list(report["by_status"].items()), columns=["status", "requests"]
    )
    st.altair_chart(
        alt.Chart(by_status)
        .mark_bar()
        .encode(alt.X("requests:Q"), alt.Y("status:N", sort=None)),
        width="stretch",
    )
    st.dataframe(by_status, hide_index=True, width="stretch", key="by_status")

with st.expander("Buckets as a table"):
    st.dataframe(
        frame.drop(columns=["start"]).set_index("bucket (UTC)"),
        width="stretch",
        key="buckets",
    )
