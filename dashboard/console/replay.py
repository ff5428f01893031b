"""The replay control of the trace view, and how a replay's comparison reads.

A replay sends a trace's recorded request to the provider again, optionally
with another model, temperature or system prompt, and the replay function
stores how the new answer compares with the recorded one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from console import display

TRACES_PAGE = "views/traces.py"
VERDICT_ICONS = {"identical": "🟰", "changed": "✏️", "failed": "❌"}
FIGURES = {
    "finish_reason": "finish reason",
    "total_tokens": "total tokens",
    "latency_ms": "latency ms",
    "cost_usd": "cost USD",
}


def overrides_form(trace: dict[str, Any]) -> dict[str, Any] | None:
    """The overrides asked for when the Replay button is pressed, else None.

    Fields left empty keep what the trace recorded.
    """
    with st.form("replay_form", border=True):
        st.caption(
            "Send this trace's request to the provider again (never from the "
            "cache) and compare the answers. Empty fields keep the recorded "
            "values."
        )
        row = st.columns([2, 1])
        model = row[0].text_input(
            "Model", placeholder=trace["model"], key="replay_model"
        )
        temperature = row[1].number_input(
            "Temperature",
            min_value=0.0,
            max_value=2.0,
            value=None,
            step=0.1,
            key="replay_temperature",
        )
        system = st.text_area("System prompt", key="replay_system")
        if not st.form_submit_button("Replay", icon="🔁"):
            return None

    overrides: dict[str, Any] = {}
    if model.strip():
        overrides["model"] = model.strip()
    if temperature is not None:
        overrides["temperature"] = float(temperature)
    if system.strip():
        overrides["system"] = system
    return overrides


def label(comparison: dict[str, Any]) -> str:
    """One line naming a replay: when, verdict, similarity, what was changed."""
    changed = _overrides(comparison)
    return (
        f"{display.utc(comparison['created_at'])} · {comparison['verdict']} · "
        f"similarity {_similarity(comparison)}" + (f" · {changed}" if changed else "")
    )


def table(comparisons: list[dict[str, Any]]) -> pd.DataFrame:
    rows = [
        {
            "time (UTC)": display.utc(item["created_at"]),
            "verdict": item["verdict"],
            "similarity": _similarity(item),
            "overrides": _overrides(item),
            "replay trace": item["replay_trace_id"] or display.DASH,
        }
        for item in comparisons
    ]
    return pd.DataFrame(rows, columns=list(rows[0]) if rows else ["verdict"])


def show(comparison: dict[str, Any]) -> None:
    """Verdict, similarity, the reply diff and the figures side by side."""
    verdict = comparison["verdict"]
    facts = st.columns(3)
    facts[0].metric("Verdict", f"{VERDICT_ICONS.get(verdict, '')} {verdict}")
    facts[1].metric("Similarity", _similarity(comparison))
    st.caption(f"Replayed {display.utc(comparison['created_at'])}.")
    if comparison.get("error"):
        st.error(f"The replay failed: {comparison['error']}")

    if comparison["diff"]:
        st.markdown("**Reply diff** (original → replay)")
        st.code("\n".join(comparison["diff"]), language="diff")
    elif verdict == "identical":
        st.caption("The replay's reply is the same as the recorded one.")

    st.table(_figures(comparison))
    replay_trace = comparison.get("replay_trace_id")
    if replay_trace:
        st.page_link(
            TRACES_PAGE,
            label=f"Open the replay's trace {replay_trace}",
            icon="🔎",
            query_params={"trace": replay_trace},
        )


def _figures(comparison: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {
            "measure": title,
            "original": _value(comparison[name]["original"]),
            "replay": _value(comparison[name]["replay"]),
            "delta": _delta(comparison[name]["delta"]),
        }
        for name, title in FIGURES.items()
    ]
    return pd.DataFrame(rows).set_index("measure")


def _overrides(comparison: dict[str, Any]) -> str:
    given = comparison["overrides"].items()
    return ", ".join(f"{name}={value}" for name, value in given if value is not None)


def _similarity(comparison: dict[str, Any]) -> str:
    return display.percent(comparison.get("similarity"))


def _value(value: float | int | str | None) -> str:
    if value is None:
        return display.DASH
    if isinstance(value, float):
        return f"{value:,.6g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _delta(value: float | int | None) -> str:
    if value is None:
        return display.DASH
    return f"{value:+,}" if isinstance(value, int) else f"{value:+,.6g}"
