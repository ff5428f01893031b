"""Hostile and malformed input, function by function: a JSON 4xx, nothing written.

Each case names the function, the request and the status it must get. The
store must be untouched afterwards: no trace, no cache entry, no counter.
"""

from __future__ import annotations

import json

import pytest

OPERATORS = [{"$ne": None}, {"$gt": ""}, {"$where": "sleep(1000)"}, {"$regex": ".*"}]
CHAT_FIELDS = ["message", "system", "model", "session_id", "user_id"]


def chat_case(body, status=400, **kwargs):
    return ("chat", "POST", {"json": body, **kwargs}, status)


CASES = {
    **{
        f"chat {field} = {operator}": chat_case({"message": "hi", field: operator})
        for field in CHAT_FIELDS
        for operator in OPERATORS
    },
    **{
        f"chat {field} as array": chat_case({"message": "hi", field: ["a", "b"]})
        for field in CHAT_FIELDS
    },
    **{
        f"chat {field} as number": chat_case({"message": "hi", field: 7})
        for field in CHAT_FIELDS
    },
    "chat operator as tag": chat_case({"message": "hi", "tags": [{"$ne": 1}]}),
    "chat operator key in metadata": chat_case(
        {"message": "hi", "metadata": {"$set": 1}}
    ),
    "chat dotted key in metadata": chat_case({"message": "hi", "metadata": {"a.b": 1}}),
    "chat nested metadata": chat_case({"message": "hi", "metadata": {"a": [1]}}),
    "chat empty message": chat_case({"message": ""}),
    "chat whitespace message": chat_case({"message": " \u00a0\u2003\n\t"}),
    "chat control character in session": chat_case(
        {"message": "hi", "session_id": "a\x00b"}
    ),
    "chat newline in tag": chat_case({"message": "hi", "tags": ["a\nb"]}),
    "chat message too long": chat_case({"message": "x" * 100_001}, 413),
    "chat huge body": (
        "chat",
        "POST",
        {
            "data": b'{"message": "' + b"x" * 3_000_000 + b'"}',
            "content_type": "application/json",
        },
        413,
    ),
    "chat deeply nested": (
        "chat",
        "POST",
        {
            "data": b'{"message": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
            "content_type": "application/json",
        },
        400,
    ),
    "chat invalid utf-8": (
        "chat",
        "POST",
        {"data": b'{"message": "\xc3\x28"}', "content_type": "application/json"},
        400,
    ),
    "chat lone surrogate": (
        "chat",
        "POST",
        {"data": b'{"message": "a\\udc00b"}', "content_type": "application/json"},
        400,
    ),
    "chat duplicate keys hiding an operator": (
        "chat",
        "POST",
        {
            "data": b'{"message": "hi", "model": {"$ne": 1}, "model": {"$gt": 0}}',
            "content_type": "application/json",
        },
        400,
    ),
    "chat form body": (
        "chat",
        "POST",
        {"data": "message=hi", "content_type": "application/x-www-form-urlencoded"},
        415,
    ),
    "chat no content type": ("chat", "POST", {"data": b'{"message": "hi"}'}, 415),
    "traces operator in status": (
        "traces",
        "GET",
        {"query_string": "status[$ne]=x"},
        400,
    ),
    "traces operator value": (
        "traces",
        "GET",
        {"query_string": 'model={"$ne":1}'},
        200,
    ),
    "traces limit huge": (
        "traces",
        "GET",
        {"query_string": "limit=99999999999999999999"},
        400,
    ),
    "traces control characters": (
        "traces",
        "GET",
        {"query_string": "session_id=%00%01"},
        200,
    ),
    "traces forged cursor": (
        "traces",
        "GET",
        {"query_string": "cursor=WzEsIHsiJG5lIjogMX1d"},
        400,
    ),
    "trace-detail path traversal": (
        "trace_detail",
        "GET",
        {"path": "/../../etc/passwd"},
        400,
    ),
    "trace-detail encoded traversal": (
        "trace_detail",
        "GET",
        {"path": "/%2e%2e%2f%2e%2e%2fetc"},
        400,
    ),
    "trace-detail operator in query": (
        "trace_detail",
        "GET",
        {"query_string": "trace_id[$ne]=x"},
        400,
    ),
    "trace-detail json in query": (
        "trace_detail",
        "GET",
        {"query_string": 'trace_id={"$ne":null}'},
        400,
    ),
    "trace-detail regex": ("trace_detail", "GET", {"path": "/.*"}, 400),
    "metrics unknown parameter": ("metrics", "GET", {"query_string": "$where=1"}, 400),
    "metrics unix time": ("metrics", "GET", {"query_string": "since=0.5"}, 400),
    "metrics bucket operator": (
        "metrics",
        "GET",
        {"query_string": "bucket[$gt]=1"},
        400,
    ),
    "health post": ("health", "POST", {"json": {"a": 1}}, 405),
}


@pytest.mark.parametrize(
    ("target", "method", "kwargs", "status"), CASES.values(), ids=list(CASES)
)
def test_hostile_input_gets_a_json_answer_and_writes_nothing(
    client, memory_store, target, method, kwargs, status
):
    kwargs = dict(kwargs)
    path = kwargs.pop("path", "/")

    response = client(target).open(path, method=method, **kwargs)

    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = json.loads(response.get_data())
    if status >= 400:
        assert set(body["error"]) >= {"code", "message", "status"}
    written = sum(
        memory_store.database[name].count_documents({})
        for name in memory_store.database.list_collection_names()
    )
    assert written == 0


def test_hostile_control_characters_in_a_prompt_are_kept_exactly(client):
    message = "".join(chr(code) for code in range(32)) + "\x7f end"

    response = client("chat").post("/", json={"message": message})

    trace_id = response.get_json()["trace_id"]
    stored = client("trace_detail").get(f"/{trace_id}").get_json()
    assert stored["request"]["message"]["text"] == message


@pytest.mark.parametrize("path", ["/a%0Ab", "/favicon.ico", "/robots.txt"])
@pytest.mark.parametrize("target", ["chat", "traces", "trace_detail", "health"])
def test_hostile_paths_the_framework_refuses_still_answer_json(client, target, path):
    response = client(target).get(path)

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "not_found"
