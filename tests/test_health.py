"""Health: the prototype's keys, what an operator needs, and no secrets."""

from __future__ import annotations

from flight_recorder import store


def test_health_reports_mode_store_and_version(client):
    response = client("health").get("/")

    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["mock"] is True
    assert body["mongo_enabled"] is False
    assert body["provider"] == "mock"
    assert body["store"]["kind"] == "memory"
    assert body["store"]["reachable"] is True
    assert body["store"]["failures"] == {"operations": 0, "unstored_traces": 0}
    assert body["auth"] == "open"
    assert body["version"]


def test_health_never_reveals_credentials(client, settings_env):
    uri = "mongodb+srv://admin:hunter2-secret@cluster0.example.net/db"
    settings_env(MONGODB_URI=uri, GOOGLE_API_KEY="AIzaSy-very-secret-key")

    response = client("health").get("/")

    text = response.get_data(as_text=True)
    assert response.get_json()["mongo_enabled"] is True
    for secret in ("hunter2-secret", "AIzaSy-very-secret-key", "cluster0", "admin"):
        assert secret not in text


class DownStore(store.Store):
    def ping(self):
        return False


def test_health_says_degraded_when_the_store_is_unreachable(client):
    store.use(DownStore(store.in_memory().database, "mongodb"))

    response = client("health").get("/")

    assert response.status_code == 503
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["store"]["kind"] == "mongodb"
    assert response.get_json()["store"]["reachable"] is False
