"""Playground: send one prompt through the chat function and see what came back."""

from __future__ import annotations

from typing import Any

import streamlit as st

from console import api, display, fetch

TRACES_PAGE = "views/traces.py"

st.title("Playground")
st.caption("Each call goes through the chat function and is recorded as a trace.")

with st.form("playground"):
    message = st.text_area("Prompt", height=150)
    left, right = st.columns(2)
    model = left.text_input(
        "Model", placeholder="the functions' default model", help="e.g. gemini-2.5-pro"
    )
    session = right.text_input("Session id", placeholder="optional")
    system = st.text_area("System prompt", placeholder="optional", height=80)
    left, middle, right = st.columns(3)
    default_temperature = left.checkbox("Model's default temperature", value=True)
    temperature = middle.slider("Temperature", 0.0, 2.0, 1.0, step=0.1)
    bypass = right.checkbox("Bypass the cache")
    sent = st.form_submit_button("Send", type="primary")


def body() -> dict[str, Any]:
    request: dict[str, Any] = {"message": message, "bypass_cache": bypass}
    optional = {
        "model": model.strip(),
        "system": system if system.strip() else "",
        "session_id": session.strip(),
    }
    request |= {name: value for name, value in optional.items() if value}
    if not default_temperature:
        request["temperature"] = temperature
    return request


if sent:
    if not message.strip():
        st.warning("Write a prompt first.")
        st.stop()
    try:
        with st.spinner("Waiting for the model…"):
            response = fetch.recorder().chat(body())
        st.session_state["playground_result"] = {
            "answer": response.json(),
            "cache": response.headers.get("X-Cache", "unknown"),
        }
    except api.RequestFailed as failure:
        st.session_state["playground_result"] = {"failure": failure}
    except api.DashboardError as error:
        fetch.show(error)
        st.stop()


def trace_link(trace_id: str) -> None:
    st.page_link(
        TRACES_PAGE,
        label=f"Open trace {trace_id}",
        icon="🔎",
        query_params={"trace": trace_id},
    )


result = st.session_state.get("playground_result")
if result is None:
    st.stop()
if "failure" in result:
    refused: api.RequestFailed = result["failure"]
    st.error(refused.message)
    if refused.trace_id:
        trace_link(refused.trace_id)
    st.stop()

answer = result["answer"]
usage = answer["usage"]
st.subheader("Reply")
if answer["blocked"]:
    st.warning(f"The reply was blocked ({answer.get('block_reason') or 'no reason'}).")
st.code(answer["reply"] or "(empty)", language=None, wrap_lines=True)
facts = st.columns(4)
facts[0].metric("Latency", display.milliseconds(answer["latency_ms"]))
facts[1].metric("Cache", result["cache"])
facts[2].metric("Tokens", display.count(usage.get("total_tokens")))
facts[3].metric("Outcome", answer["outcome"])
st.caption(f"Model {answer['model']} through the {answer['provider']} provider.")
if not answer["trace_stored"]:
    st.warning("The trace could not be stored; the functions logged it instead.")
trace_link(answer["trace_id"])
