"""Edge cases found by attacking the running stack: each is a 4xx, never a 500."""

from __future__ import annotations

import base64
import json

import pytest

FAR = [
    "0001-01-01T00:00:00%2B14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01T12:00:00Z",
]


def cursor_of(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize("instant", FAR)
@pytest.mark.parametrize("target", ["traces", "metrics", "export"])
@pytest.mark.parametrize("bound", ["since", "until"])
def test_edges_instants_out_of_range_are_400(client, target, bound, instant):
    response = client(target).get(f"/?{bound}={instant}")

    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.get_json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize(
    "instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
)
def test_edges_replay_filter_instants_out_of_range_are_400(client, instant):
    response = client("replay").post("/", json={"filter": {"since": instant}})

    assert response.status_code == 400


@pytest.mark.parametrize("target", ["traces", "export"])
def test_edges_reversed_or_empty_range_is_400(client, target):
    reversed_range = "since=2026-12-04T00:00:00Z&until=2026-12-03T00:00:00Z"

    response = client(target).get(f"/?{reversed_range}")

    assert response.status_code == 400
    assert "since must be earlier than until" in response.get_data(as_text=True)


def test_edges_replay_filter_reversed_range_is_400(client):
    response = client("replay").post(
        "/",
        json={
            "filter": {"since": "2026-12-04T00:00:00Z", "until": "2026-12-03T00:00:00Z"}
        },
    )

    assert response.status_code == 400


@pytest.mark.parametrize(
    "value",
    [
        [99999999999999999999, "0" * 32],
        [-1, "0" * 32],
        [True, "0" * 32],
        [1.5, "0" * 32],
        ["1", "0" * 32],
        [1, "0" * 32, 3],
        {"t": 1},
    ],
)
def test_edges_forged_cursors_are_400(client, value):
    token = cursor_of(value)

    listing = client("traces").get(f"/?cursor={token}")
    batch = client("replay").post("/", json={"filter": {}, "cursor": token})

    assert listing.status_code == 400
    assert batch.status_code == 400


def test_edges_error_details_are_bounded(client):
    metadata = {f"k.{i}": [i] for i in range(5_000)}

    response = client("chat").post("/", json={"message": "x", "metadata": metadata})

    error = response.get_json()["error"]
    assert response.status_code == 400
    assert len(error["details"]) <= 21
    assert len(response.get_data()) < 10_000


def test_edges_export_failing_mid_stream_ends_with_an_error_line(
    client, memory_store, monkeypatch
):
    from flight_recorder import store as stores
    from flight_recorder.errors import StoreUnavailable

    for index in range(450):
        client("chat").post("/", json={"message": f"m{index}", "bypass_cache": True})
    calls = {"n": 0}
    real = stores.Store.run

    def flaky(self, operation):
        calls["n"] += 1
        if calls["n"] > 2:
            raise StoreUnavailable("the trace store is unavailable")
        return real(self, operation)

    monkeypatch.setattr(stores.Store, "run", flaky)

    response = client("export").get("/")

    lines = response.get_data(as_text=True).splitlines()
    assert response.status_code == 200
    assert json.loads(lines[-1]) == {
        "error": {
            "code": "store_unavailable",
            "message": "the export stopped early: the trace store is unavailable",
            "status": 503,
        }
    }
    assert len(lines) - 1 == 400


def test_edges_export_with_the_store_down_at_the_start_is_503_json(client, monkeypatch):
    from flight_recorder import store as stores
    from flight_recorder.errors import StoreUnavailable

    def down(self, operation):
        raise StoreUnavailable("the trace store is unavailable")

    monkeypatch.setattr(stores.Store, "run", down)

    response = client("export").get("/")

    assert response.status_code == 503
    assert response.mimetype == "application/json"
