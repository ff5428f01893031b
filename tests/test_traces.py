"""Listing and reading traces: keyset pages, filters, bounds, ids."""

from __future__ import annotations

import datetime as dt

import pytest

from flight_recorder import traces
from recorder_testing import START, make_trace


@pytest.fixture
def stored(any_store):
    """25 traces where groups of five share a timestamp."""
    trace_store = traces.TraceStore(any_store)
    made = []
    for index in range(25):
        trace = make_trace(
            index,
            seconds=index // 5,
            status="error" if index % 4 == 0 else "ok",
            model="gemini-2.5-pro" if index % 3 == 0 else "gemini-2.5-flash",
            cached=index % 2 == 0,
            session_id=f"s{index % 5}",
        )
        trace_store.insert(trace)
        made.append(trace)
    return trace_store, made


def newest_first(made):
    return sorted(made, key=lambda t: (t.created_at, t.id), reverse=True)


def walk(trace_store, filters, limit):
    seen, cursor = [], None
    while True:
        page = trace_store.list(filters, limit=limit, cursor=cursor)
        seen.extend(item.id for item in page.items)
        if page.next_cursor is None:
            return seen
        cursor = traces.Cursor.decode(page.next_cursor)


@pytest.mark.parametrize("limit", [1, 3, 5, 7, 25, 100])
def test_traces_pages_cover_every_item_once_when_timestamps_tie(stored, limit):
    trace_store, made = stored

    seen = walk(trace_store, traces.TraceFilter(), limit)

    assert seen == [t.id for t in newest_first(made)]


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({"status": "error"}, lambda t: t.status == "error"),
        ({"model": "gemini-2.5-pro"}, lambda t: t.model == "gemini-2.5-pro"),
        ({"cached": True}, lambda t: t.cached),
        ({"cached": False}, lambda t: not t.cached),
        ({"session_id": "s3"}, lambda t: t.session_id == "s3"),
        (
            {"since": START + dt.timedelta(seconds=1)},
            lambda t: t.created_at >= START + dt.timedelta(seconds=1),
        ),
        (
            {"until": START + dt.timedelta(seconds=3)},
            lambda t: t.created_at < START + dt.timedelta(seconds=3),
        ),
        (
            {"status": "ok", "cached": True, "since": START},
            lambda t: t.status == "ok" and t.cached,
        ),
    ],
)
def test_traces_filters_select_exactly_the_matching_items(stored, filters, keep):
    trace_store, made = stored

    seen = walk(trace_store, traces.TraceFilter(**filters), 4)

    assert seen == [t.id for t in newest_first(made) if keep(t)]


def test_traces_new_arrivals_do_not_shift_later_pages(stored):
    trace_store, made = stored
    first = trace_store.list(traces.TraceFilter(), limit=10)
    trace_store.insert(make_trace(99, seconds=60))

    rest = walk_from(trace_store, first.next_cursor)

    assert [i.id for i in first.items] + rest == [t.id for t in newest_first(made)]


def walk_from(trace_store, token):
    seen = []
    while token:
        page = trace_store.list(
            traces.TraceFilter(), limit=10, cursor=traces.Cursor.decode(token)
        )
        seen.extend(item.id for item in page.items)
        token = page.next_cursor
    return seen


def test_traces_http_lists_summaries_without_bodies(client):
    chat = client("chat")
    for index in range(3):
        chat.post("/", json={"message": f"question {index} " + "x" * 500})

    response = client("traces").get("/?limit=2")

    body = response.get_json()
    assert response.status_code == 200
    assert len(body["items"]) == 2
    assert body["next_cursor"]
    item = body["items"][0]
    assert item["message_preview"].startswith("question 2")
    assert len(item["message_preview"]) <= 120
    assert "request" not in item and "response" not in item
    assert item["created_at"].endswith("Z")


def test_traces_http_follows_the_cursor(client):
    chat = client("chat")
    ids = [
        chat.post("/", json={"message": f"m{i}"}).get_json()["trace_id"]
        for i in range(5)
    ]
    listing = client("traces")

    first = listing.get("/?limit=3").get_json()
    second = listing.get(f"/?limit=3&cursor={first['next_cursor']}").get_json()

    seen = [i["id"] for i in first["items"] + second["items"]]
    assert sorted(seen) == sorted(ids)
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=-5",
        "limit=ten",
        "limit=1.5",
        "status=weird",
        "cached=maybe",
        "since=yesterday",
        "until=2026-13-01",
        "cursor=not-a-cursor",
        "cursor=eyJhIjoxfQ",
        "unknown=1",
        "limit=5&limit=6",
        "status[$ne]=ok",
        "model=" + "m" * 200,
    ],
)
def test_traces_http_rejects_bad_parameters(client, query):
    response = client("traces").get(f"/?{query}")

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "invalid_request"


def test_traces_http_accepts_the_documented_bounds(client):
    listing = client("traces")

    assert listing.get("/?limit=1").status_code == 200
    assert listing.get("/?limit=100").status_code == 200
    assert listing.get("/?since=2026-12-01T00:00:00Z&cached=false").status_code == 200


def test_trace_detail_reads_by_path_and_by_query(client):
    trace_id = client("chat").post("/", json={"message": "hi"}).get_json()["trace_id"]
    detail = client("trace_detail")

    by_path = detail.get(f"/{trace_id}")
    by_name = detail.get(f"/trace-detail/{trace_id}")
    by_query = detail.get(f"/?trace_id={trace_id}")

    for response in (by_path, by_name, by_query):
        assert response.status_code == 200
        assert response.get_json()["id"] == trace_id


def test_trace_detail_unknown_id_is_404(client):
    response = client("trace_detail").get("/" + "0" * 32)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/xyz",
        "/" + "A" * 32,
        "/" + "0" * 31,
        "/..%2F..%2Fetc%2Fpasswd",
        "/../" + "0" * 32,
        "/%00",
        "/?trace_id[$ne]=1",
        "/?trace_id=" + "0" * 33,
        "/" + "0" * 32 + "/extra",
        "/",
    ],
)
def test_trace_detail_malformed_id_is_400(client, path):
    response = client("trace_detail").get(path)

    assert response.status_code == 400
    assert response.mimetype == "application/json"


def test_trace_detail_404_names_no_trace_of_its_own(client):
    response = client("trace_detail").get("/" + "0" * 32)

    assert "trace_id" not in response.get_json()["error"]
    assert "X-Trace-Id" not in response.headers


def test_trace_detail_path_and_query_naming_different_traces_is_400(client):
    response = client("trace_detail").get(f"/{'1' * 32}?trace_id={'2' * 32}")

    assert response.status_code == 400
    assert "different traces" in response.get_json()["error"]["message"]
