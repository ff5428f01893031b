"""The command-line client against the functions served over real HTTP."""

from __future__ import annotations

import json
import threading

import pytest
from werkzeug.serving import make_server

from flight_recorder import cli, devserver

KEY = "cli-test-key-0123456789"


@pytest.fixture
def base_url(memory_store, settings_env):
    settings_env(API_KEYS=KEY)
    server = make_server("127.0.0.1", 0, devserver.gateway(devserver.function_apps()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def send(base_url, message, session):
    client = cli.Client(base_url, KEY)
    with client.open("chat", {"message": message, "session_id": session}) as answer:
        return json.load(answer)


def test_cli_export_writes_matching_traces_as_jsonl(base_url, capsysbinary):
    sent = [send(base_url, f"m{i}", "a" if i < 3 else "b") for i in range(5)]

    cli.main(["--url", base_url, "--key", KEY, "export", "--session-id", "a"])

    lines = capsysbinary.readouterr().out.decode().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [
        answer["trace_id"] for answer in reversed(sent[:3])
    ]


def test_cli_replay_runs_every_batch_and_totals_them(base_url, capsys):
    for index in range(5):
        send(base_url, f"q{index}", "set")

    cli.main(
        [
            "--url",
            base_url,
            "--key",
            KEY,
            "replay",
            "--session-id",
            "set",
            "--batch",
            "2",
        ]
    )

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len([line for line in lines if "batch" in line]) == 3
    assert lines[-1] == {"totals": {"identical": 5, "changed": 0, "failed": 0}}


def test_cli_refused_key_is_a_clear_message(base_url):
    with pytest.raises(SystemExit, match="401"):
        cli.main(["--url", base_url, "--key", "wrong", "export"])
