"""Browser tests: the local stack and the dashboard as separate processes,
driven by headless Chromium. Left out of a plain `pytest` run; `make e2e`
runs them with `-m e2e`."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
API_KEY = "e2e-key"
START_SECONDS = 60
PYTHON_MODULE = (sys.executable, "-m")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: drives the dashboard in a real browser")


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    if "e2e" in (config.option.markexpr or ""):
        return
    browser = [item for item in items if item.get_closest_marker("e2e")]
    if browser:
        config.hook.pytest_deselected(items=browser)
        items[:] = [item for item in items if not item.get_closest_marker("e2e")]


def _free_run(count: int) -> int:
    for first in random.Random().sample(range(20000, 60000, 10), 50):
        probes = []
        try:
            for port in range(first, first + count):
                probe = socket.socket()
                probes.append(probe)
                probe.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError("no run of free ports found")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_up(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {START_SECONDS} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Site:
    """Where the running stack and dashboard are."""

    def __init__(self, gateway: int, dashboard: int) -> None:
        self.api_key = API_KEY
        self.base_url = f"http://127.0.0.1:{gateway}"
        self.chat_url = f"{self.base_url}/chat/"
        self.dashboard_url = f"http://127.0.0.1:{dashboard}"

    def get(self, function: str, **params: object) -> dict:
        response = requests.get(
            f"{self.base_url}/{function}/",
            params=params,
            headers={"X-API-Key": API_KEY},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The functions (devserver) and `streamlit run dashboard/app.py`, started."""
    folder = tmp_path_factory.mktemp("stack")
    from flight_recorder import devserver

    gateway = _free_run(len(devserver.FUNCTIONS) + 1)
    dashboard = _free_port()
    environment = os.environ | {
        "PYTHONPATH": str(REPO / "functions"),
        "EMBEDDED_STORE_PATH": str(folder / "store"),
        "API_KEYS": API_KEY,
        "USE_MOCK_LLM": "true",
        "MAX_RPM": "1000",
        "FLIGHT_RECORDER_BASE_URL": f"http://127.0.0.1:{gateway}",
        "FLIGHT_RECORDER_API_KEY": API_KEY,
    }
    functions = subprocess.Popen(
        [
            *PYTHON_MODULE,
            "flight_recorder.devserver",
            "--port",
            str(gateway),
            "--no-dashboard",
        ],
        cwd=folder,
        env=environment,
    )
    app = subprocess.Popen(
        [
            *PYTHON_MODULE,
            "streamlit",
            "run",
            str(REPO / "dashboard" / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(dashboard),
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO / "dashboard",
        env=environment,
    )
    try:
        site = Site(gateway, dashboard)
        _wait_until_up(f"{site.base_url}/health/", functions)
        _wait_until_up(f"{site.dashboard_url}/_stcore/health", app)
        yield site
    finally:
        _stop(app)
        _stop(functions)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the pictures go: E2E_SCREENSHOTS if set, else a temporary folder."""
    chosen = os.environ.get("E2E_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
