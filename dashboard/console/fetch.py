"""Cached reads from the functions, and how a failure shows on a page.

Answers are kept for `TTL_SECONDS`, so moving between pages does not call the
functions again; the refresh control drops them. A failed call raises inside
the cached function, and Streamlit keeps no exception, so a failure is never
served from the cache.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import streamlit as st

from console import api, config

TTL_SECONDS = 15


def connection() -> config.Connection:
    """The connection from the environment, else from Streamlit's secrets."""
    return config.from_environment(_secrets())


def _secrets() -> dict[str, object]:
    # Reading st.secrets without a secrets file raises; no file means no secrets.
    try:
        return dict(st.secrets)
    except (FileNotFoundError, KeyError, ValueError):
        return {}


def recorder() -> api.Recorder:
    return api.Recorder(connection())


@st.cache_data(ttl=TTL_SECONDS, show_spinner="Loading metrics…")
def metrics(
    link: config.Connection, since: str, until: str, bucket: str | None
) -> dict[str, Any]:
    return api.Recorder(link).metrics(since, until, bucket)


@st.cache_data(ttl=TTL_SECONDS, show_spinner="Loading traces…")
def traces(
    link: config.Connection,
    filters: tuple[tuple[str, str], ...],
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    return api.Recorder(link).traces(dict(filters), limit, cursor)


@st.cache_data(ttl=TTL_SECONDS, show_spinner="Loading the trace…")
def trace(link: config.Connection, trace_id: str) -> dict[str, Any]:
    return api.Recorder(link).trace(trace_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner="Loading the replays…")
def replays(link: config.Connection, trace_id: str) -> list[dict[str, Any]]:
    """A trace's earlier replays; `replays.clear()` after replaying anew."""
    return api.Recorder(link).replays(trace_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def health(link: config.Connection) -> dict[str, Any]:
    return api.Recorder(link).health()


def refresh() -> None:
    """Forget every cached answer, so the next read asks the functions."""
    st.cache_data.clear()


def show(error: api.DashboardError) -> None:
    """One failure as a message on the page, with what to do about it."""
    st.error(error.message, icon="⚠️")
    if isinstance(error, api.NotConfigured):
        st.info(
            f"Set {config.BASE_URL} to the deployed functions' common URL, or "
            "one FLIGHT_RECORDER_<FUNCTION>_URL per function (the local stack "
            "serves each function on its own port). The sidebar shows what is "
            "set."
        )


@contextlib.contextmanager
def failures_stop_the_page() -> Iterator[None]:
    """Show a `DashboardError` raised inside the block, then stop the page."""
    try:
        yield
    except api.DashboardError as error:
        show(error)
        st.stop()
