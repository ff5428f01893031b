"""The dashboard in headless Chromium over a seeded local stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

PROMPTS_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "prompts.csv"
REPEATED = "What does a flight recorder record?"
LOAD_MS = 30_000


@pytest.fixture(scope="module")
def seeded(site):
    from flight_recorder import seed

    counts = seed.seed(
        seed.read_prompts(PROMPTS_CSV), site.chat_url, limit=12, api_key=site.api_key
    )
    for _ in range(3):
        requests.post(
            site.chat_url,
            json={"message": REPEATED, "session_id": "e2e"},
            headers={"X-API-Key": site.api_key},
            timeout=30,
        ).raise_for_status()
    return counts


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    opened = context.new_page()
    yield opened
    context.close()


def display_time(instant: str) -> str:
    """How the dashboard shows an API instant: `2026-03-10 12:00:05 UTC`."""
    return f"{instant[:10]} {instant[11:19]} UTC"


def metric(page, label: str) -> str:
    card = page.locator('[data-testid="stMetric"]').filter(
        has=page.locator('[data-testid="stMetricLabel"]', has_text=label)
    )
    return card.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def test_e2e_overview_shows_the_seeded_figures(site, seeded, page, screenshots):
    figures = site.get("metrics")

    page.goto(site.dashboard_url)
    page.get_by_text("Requests", exact=True).wait_for(timeout=LOAD_MS)

    assert metric(page, "Requests") == f"{figures['requests']:,}"
    assert (
        figures["requests"]
        == sum(seeded.values()) - seeded.get("rejected:payload_too_large", 0) + 3
    )
    assert metric(page, "Cache hit rate") == f"{figures['cache_hit_rate'] * 100:.1f}%"
    assert metric(page, "Latency p95") == f"{figures['latency_ms']['p95_ms']:,.1f} ms"
    assert metric(page, "Tokens") == f"{figures['tokens']['total']:,}"
    assert page.get_by_text("All times are UTC").count() == 1
    page.screenshot(path=str(screenshots / "overview.png"), full_page=True)


def test_e2e_traces_table_and_one_trace(site, seeded, page, screenshots):
    newest = site.get("traces", limit=1)["items"][0]

    page.goto(f"{site.dashboard_url}/traces")
    page.locator('[data-testid="stDataFrame"]').wait_for(timeout=LOAD_MS)
    caption = page.get_by_text(re.compile(r"^Page 1: \d+ of \d+ traces shown"))
    assert caption.count() == 1
    page.screenshot(path=str(screenshots / "traces.png"), full_page=True)

    # The grid draws on a canvas; its cells are also in a table for screen readers.
    rows = page.locator("table").first.inner_text()
    assert rows.count(REPEATED) == 3
    assert display_time(newest["created_at"]) in rows
    page.get_by_role("combobox", name=re.compile("Open a trace")).click()
    page.get_by_role("option", name=re.compile(newest["id"])).click()
    page.get_by_text(f"Trace {newest['id']}").wait_for(timeout=LOAD_MS)

    prompt = site.get("trace-detail", trace_id=newest["id"])["request"]["message"]
    shown = page.locator('[data-testid="stCode"]', has_text=prompt["text"].strip())
    shown.first.wait_for(timeout=LOAD_MS)
    page.get_by_text("Raw JSON").wait_for(timeout=LOAD_MS)
    page.screenshot(path=str(screenshots / "trace.png"), full_page=True)

    assert metric(page, "Status") == "ok"

    replay = page.locator('[data-testid="stForm"]')
    replay.get_by_label("Model").fill("gemini-2.5-pro")
    replay.get_by_role("button", name=re.compile("Replay")).click()
    page.get_by_text(re.compile(r"^\S* ?changed$")).first.wait_for(timeout=LOAD_MS)
    diff = page.locator('[data-testid="stCode"]', has_text="+[mock gemini-2.5-pro]")
    diff.first.wait_for(timeout=LOAD_MS)
    assert "-[mock gemini-2.5-flash]" in diff.first.inner_text()
    stored = site.get("replay", trace_id=newest["id"])["replays"]
    assert [item["verdict"] for item in stored] == ["changed"]
    diff.first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "replay.png"), full_page=True)


def test_e2e_playground_sends_a_prompt(site, page, screenshots):
    page.goto(f"{site.dashboard_url}/playground")
    page.get_by_label("Prompt", exact=True).wait_for(timeout=LOAD_MS)

    page.get_by_label("Prompt", exact=True).fill("Hello from Chromium")
    page.get_by_role("button", name="Send").click()
    page.get_by_text("You said: Hello from Chromium").wait_for(timeout=LOAD_MS)

    assert metric(page, "Cache") == "MISS"
    page.screenshot(path=str(screenshots / "playground.png"), full_page=True)

    link = page.get_by_text(re.compile(r"Open trace [0-9a-f]{32}"))
    trace_id = link.inner_text().split()[-1]
    link.click()
    page.get_by_text(f"Trace {trace_id}").wait_for(timeout=LOAD_MS)
    page.locator(
        '[data-testid="stCode"]', has_text="Hello from Chromium"
    ).first.wait_for(timeout=LOAD_MS)
