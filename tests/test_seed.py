"""The seed command: prompts from CSV or JSON Lines sent through chat over HTTP."""

from __future__ import annotations

import json
import threading

import pytest
from functions_framework import create_app
from werkzeug.serving import make_server

from flight_recorder import recorder, seed, store
from recorder_testing import MAIN, require_prompts


@pytest.fixture
def chat_url(memory_store):
    """The chat function served on a free loopback port."""
    server = make_server("127.0.0.1", 0, create_app(target="chat", source=str(MAIN)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def stored_messages(backing: store.Store) -> list[str]:
    documents = backing.run(lambda db: list(db["traces"].find({}, {"request": 1})))
    return sorted(document["request"]["message"]["text"] for document in documents)


def test_seed_sends_the_first_n_prompts_of_a_csv(chat_url, memory_store, tmp_path):
    source = tmp_path / "prompts.csv"
    source.write_text('act,prompt\na,"first, with a comma"\nb,second\nc,\nd,third\n')

    counts = seed.seed(seed.read_prompts(source), chat_url, limit=2)

    assert counts == {"answered": 2}
    assert stored_messages(memory_store) == ["first, with a comma", "second"]


def test_seed_reads_message_or_prompt_from_json_lines(chat_url, memory_store, tmp_path):
    source = tmp_path / "prompts.jsonl"
    lines = [{"message": "one"}, {"prompt": "two"}, {"other": "x"}, {"message": "one"}]
    source.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")

    counts = seed.seed(seed.read_prompts(source), chat_url, limit=None)

    assert counts == {"answered": 2, "cached": 1}
    assert stored_messages(memory_store) == ["one", "one", "two"]


def test_seed_skips_and_counts_what_the_function_rejects(
    chat_url, settings_env, capsys
):
    corpus = require_prompts()
    settings_env(MAX_MESSAGE_CHARS="400")
    recorder.get.cache_clear()

    status = seed.main(["--file", str(corpus), "--n", "30", "--chat-url", chat_url])

    out = capsys.readouterr().out
    counted = {line.split()[0]: int(line.split()[1]) for line in out.splitlines()[1:]}
    assert status == 0
    assert counted["total"] == 30
    assert counted["rejected:payload_too_large"] > 0
    assert counted["answered"] + counted["rejected:payload_too_large"] == 30


def test_seed_stops_when_the_function_is_unreachable(tmp_path, capsys):
    source = tmp_path / "prompts.jsonl"
    source.write_text('{"message": "hello"}\n')

    status = seed.main(["--file", str(source), "--chat-url", "http://127.0.0.1:9/"])

    assert status == 2
    assert "cannot reach the chat function" in capsys.readouterr().err


def test_seed_refuses_a_csv_without_a_prompt_column(tmp_path, capsys):
    source = tmp_path / "prompts.csv"
    source.write_text("title,text\na,b\n")

    status = seed.main(["--file", str(source), "--chat-url", "http://127.0.0.1:9/"])

    assert status == 2
    assert "no 'prompt' column" in capsys.readouterr().err
