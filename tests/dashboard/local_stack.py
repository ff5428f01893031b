"""The local stack the dashboard tests run against, and how they read a page."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import requests
from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "dashboard"
APP = DASHBOARD / "app.py"
API_KEY = "dashboard-test-key"
# Only this many provider calls a minute, so the known calls include one refusal.
MAX_RPM = 8


@dataclasses.dataclass
class Stack:
    """The functions of one test, by name, with what was sent through chat."""

    urls: dict[str, str]
    base_url: str
    answers: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def chat(self, body: dict[str, Any], key: str = API_KEY) -> requests.Response:
        return requests.post(
            self.urls["chat"], json=body, headers={"X-API-Key": key}, timeout=30
        )

    def get(self, function: str, **params: Any) -> dict[str, Any]:
        response = requests.get(
            self.urls[function],
            params=params,
            headers={"X-API-Key": API_KEY},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def all_traces(self) -> list[dict[str, Any]]:
        """Every stored trace in full, newest first."""
        summaries = self.get("traces", limit=100)["items"]
        return [self.get("trace-detail", trace_id=item["id"]) for item in summaries]

    def environment(self) -> dict[str, str]:
        """The dashboard's settings pointing at this stack, one URL per function."""
        from console import config

        urls = {config.url_variable(name): url for name, url in self.urls.items()}
        return urls | {config.API_KEY: API_KEY}


KNOWN_CALLS = [
    {"message": "Explain TCP slow start", "session_id": "s-alpha"},
    {"message": "What is a B-tree?", "session_id": "s-alpha"},
    {"message": "Name three prime numbers", "model": "gemini-2.5-pro"},
    {"message": "Summarise the CAP theorem", "system": "Answer in one line."},
    {"message": "Explain TCP slow start", "session_id": "s-beta"},
    {"message": "Translate 'flight recorder' to French", "temperature": 0.2},
    {"message": "What is a B-tree?"},
    {"message": "Why is the sky blue?", "model": "gemini-2.5-pro"},
    {"message": "How do vaccines work?"},
    {"message": "What does a flight recorder record?", "session_id": "s-beta"},
    {"message": "Is this call refused?"},
]


def nearest_rank(values: list[float], percentile: int) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percentile * len(ordered) / 100)) - 1]


def metrics_of(app: AppTest) -> dict[str, str]:
    """The figures shown, by label."""
    return {metric.label: metric.value for metric in app.metric}


def messages(app: AppTest) -> str:
    """Every error, warning and info text on the page, joined."""
    return "\n".join(element.value for element in [*app.error, *app.warning, *app.info])


def table_with(app: AppTest, column: str) -> Any:
    """The first table shown that has `column`, as a pandas DataFrame."""
    for element in [*app.dataframe, *app.table]:
        frame = element.value
        if column in frame.columns or frame.index.name == column:
            return frame
    raise AssertionError(f"no table with a {column!r} column")
