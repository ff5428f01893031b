"""A local stand-in for the Gemini API's `generateContent`, for tests and keyless runs.

It answers `POST /{api_version}/models/{model}:generateContent` with the same
JSON the Gemini REST API sends (camelCase fields, Google's error envelope),
checks the `x-goog-api-key` header, and keeps every request it received.

With nothing scripted it echoes the prompt back deterministically. A test
scripts what the next calls get with `script(...)`, using the answers built
below; a person running it scripts them by name over HTTP:

    python -m flight_recorder.gemini_standin --port 8090
    curl -X POST localhost:8090/_standin/script \\
        -H 'Content-Type: application/json' -d '{"answers": ["unavailable"]}'
    curl localhost:8090/_standin/received

Point the recorder at it with `USE_MOCK_LLM=false`,
`GEMINI_BASE_URL=http://127.0.0.1:8090` and any `GOOGLE_API_KEY`.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import hashlib
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

log = logging.getLogger(__name__)

ROUTE = re.compile(r"^/(?P<version>[^/]+)/models/(?P<model>[^/:]+):generateContent$")
_TYPE = "type.googleapis.com/google.rpc."


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, raw body, content type and a delay before it."""

    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    delay_seconds: float = 0.0


@dataclass(frozen=True)
class Received:
    """A request as the stand-in saw it; header names are lowercase."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    api_version: str | None = None
    model: str | None = None

    @property
    def text(self) -> str:
        """The text parts of the last user turn, joined."""
        contents = (self.body or {}).get("contents") or [{}]
        return "".join(part.get("text", "") for part in contents[-1].get("parts", []))


Script = Answer | Callable[[Received], Answer]


# ---------------------------------------------------------------- answers


def json_answer(payload: Any, status: int = 200, delay_seconds: float = 0.0) -> Answer:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Answer(status=status, body=body, delay_seconds=delay_seconds)


def usage(
    prompt: int | None = 8,
    candidates: int | None = 4,
    *,
    thoughts: int | None = None,
    cached: int | None = None,
) -> dict[str, int]:
    """A `usageMetadata` object; like the API, it leaves out unset counts."""
    counts = {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "thoughtsTokenCount": thoughts,
        "cachedContentTokenCount": cached,
        "totalTokenCount": sum(n for n in (prompt, candidates, thoughts) if n),
    }
    return {name: value for name, value in counts.items() if value is not None}


def reply(
    text: str = "Hello from the stand-in.",
    *,
    finish_reason: str = "STOP",
    thought: str | None = None,
    usage_metadata: dict[str, int] | None = None,
    model_version: str = "gemini-2.5-flash",
    delay_seconds: float = 0.0,
) -> Answer:
    """A normal answer with one candidate; `thought` adds a thought part first."""
    parts = [] if thought is None else [{"text": thought, "thought": True}]
    if text:
        parts.append({"text": text})
    candidate: dict[str, Any] = {
        "content": {"role": "model", "parts": parts},
        "finishReason": finish_reason,
        "index": 0,
    }
    payload: dict[str, Any] = {
        "candidates": [candidate],
        "modelVersion": model_version,
        "responseId": _response_id(text + (thought or "")),
    }
    if usage_metadata is None:
        usage_metadata = usage()
    if usage_metadata:
        payload["usageMetadata"] = usage_metadata
    return json_answer(payload, delay_seconds=delay_seconds)


def echo(received: Received) -> Answer:
    """The unscripted answer: the prompt said back, with estimated counts."""
    text = f"[gemini stand-in {received.model}] You said: {received.text}"
    system = (received.body or {}).get("systemInstruction") or {}
    system_text = "".join(part.get("text", "") for part in system.get("parts", []))
    prompt = _estimate_tokens(received.text) + _estimate_tokens(system_text)
    return reply(
        text,
        usage_metadata=usage(prompt, _estimate_tokens(text)),
        model_version=received.model or "unknown",
    )


def thought_and_cached() -> Answer:
    """An answer after thinking, most of whose prompt came from the context cache."""
    return reply(
        "The answer, after some thought.",
        thought="Let me think this through.",
        usage_metadata=usage(1000, 10, thoughts=90, cached=600),
    )


def no_usage() -> Answer:
    return reply("An answer without usage metadata.", usage_metadata={})


def max_tokens_thought_only() -> Answer:
    """The output budget spent on thinking: no text, finish reason MAX_TOKENS."""
    return reply(
        "",
        finish_reason="MAX_TOKENS",
        thought="Thinking used the whole budget.",
        usage_metadata=usage(12, None, thoughts=64),
    )


def safety_stop() -> Answer:
    """A candidate withheld for safety: no content, finish reason SAFETY."""
    candidate = {
        "finishReason": "SAFETY",
        "index": 0,
        "safetyRatings": [
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"},
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
        ],
    }
    return json_answer(
        {
            "candidates": [candidate],
            "usageMetadata": usage(9, None),
            "modelVersion": "gemini-2.5-flash",
            "responseId": _response_id("safety"),
        }
    )


def prompt_blocked(reason: str = "PROHIBITED_CONTENT") -> Answer:
    """The prompt itself refused: prompt feedback and no candidates."""
    feedback = {
        "blockReason": reason,
        "safetyRatings": [
            {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "MEDIUM"}
        ],
    }
    return json_answer(
        {
            "promptFeedback": feedback,
            "usageMetadata": usage(7, None),
            "modelVersion": "gemini-2.5-flash",
            "responseId": _response_id("blocked"),
        }
    )


def no_candidates() -> Answer:
    """Neither candidates nor prompt feedback: nothing said, nothing explained."""
    return json_answer(
        {
            "usageMetadata": usage(5, None),
            "modelVersion": "gemini-2.5-flash",
            "responseId": _response_id("nothing"),
        }
    )


def error(
    code: int, status: str, message: str, details: list[dict[str, Any]] | None = None
) -> Answer:
    """Google's error envelope."""
    body: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        body["details"] = details
    return json_answer({"error": body}, status=code)


def rate_limited(retry_delay: str = "17s") -> Answer:
    """A per-minute quota spent, saying when to come back (RetryInfo)."""
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        [
            _quota_failure("GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
            {"@type": _TYPE + "RetryInfo", "retryDelay": retry_delay},
        ],
    )


def daily_quota() -> Answer:
    """A per-day quota spent: no retry will help until the day turns."""
    return error(
        429,
        "RESOURCE_EXHAUSTED",
        "You exceeded your current quota, please check your plan and billing details.",
        [
            _quota_failure("GenerateRequestsPerDayPerProjectPerModel-FreeTier"),
            {"@type": _TYPE + "RetryInfo", "retryDelay": "43s"},
        ],
    )


def invalid_argument(
    message: str = "* GenerateContentRequest.generation_config.max_output_tokens: "
    "must be positive.",
) -> Answer:
    return error(400, "INVALID_ARGUMENT", message)


def invalid_key() -> Answer:
    """What the API says to a wrong key: a 400, told apart by its ErrorInfo."""
    return error(
        400,
        "INVALID_ARGUMENT",
        "API key not valid. Please pass a valid API key.",
        [
            {
                "@type": _TYPE + "ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }
        ],
    )


def unauthenticated() -> Answer:
    return error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access "
        "token, login cookie or other valid authentication credential.",
    )


def permission_denied() -> Answer:
    return error(
        403,
        "PERMISSION_DENIED",
        "Method doesn't allow unregistered callers (callers without established "
        "identity). Please use API Key or other form of API consumer identity "
        "to call this API.",
    )


def internal() -> Answer:
    return error(
        500,
        "INTERNAL",
        "An internal error has occurred. Please retry or report in "
        "https://developers.generativeai.google/guide/troubleshooting",
    )


def unavailable() -> Answer:
    return error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.")


def html(status: int = 502) -> Answer:
    """A proxy's HTML error page instead of JSON."""
    phrase = HTTPStatus(status).phrase
    page = f"<!DOCTYPE html><html><head><title>{status} {phrase}</title></head>"
    page += f"<body><h1>{phrase}</h1><p>That's an error.</p></body></html>"
    return Answer(status=status, body=page.encode(), content_type="text/html")


def empty(status: int = 200) -> Answer:
    return Answer(status=status, body=b"")


def slow(seconds: float) -> Answer:
    """A normal answer sent only after `seconds`, to outlast a client's timeout."""
    return reply("A late answer.", delay_seconds=seconds)


def _quota_failure(quota_id: str) -> dict[str, Any]:
    violation = {
        "quotaMetric": "generativelanguage.googleapis.com/generate_content_requests",
        "quotaId": quota_id,
        "quotaDimensions": {"location": "global", "model": "gemini-2.5-flash"},
        "quotaValue": "10",
    }
    return {"@type": _TYPE + "QuotaFailure", "violations": [violation]}


def _response_id(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()[:22]


def _estimate_tokens(text: str) -> int:
    return -(-len(text) // 4)


# Answers a person can script by name over HTTP.
NAMED: dict[str, Callable[[], Answer]] = {
    "ok": reply,
    "safety_stop": safety_stop,
    "prompt_blocked": prompt_blocked,
    "no_candidates": no_candidates,
    "max_tokens_thought_only": max_tokens_thought_only,
    "thought_and_cached": thought_and_cached,
    "no_usage": no_usage,
    "rate_limited": rate_limited,
    "daily_quota": daily_quota,
    "invalid_argument": invalid_argument,
    "invalid_key": invalid_key,
    "unauthenticated": unauthenticated,
    "permission_denied": permission_denied,
    "internal": internal,
    "unavailable": unavailable,
    "html": html,
    "empty": empty,
    "slow": lambda: slow(60.0),
}


# ---------------------------------------------------------------- server


@dataclass
class _State:
    api_key: str | None
    script: collections.deque[Script] = field(default_factory=collections.deque)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


class GeminiStandIn:
    """The stand-in server, serving from a daemon thread once started.

    `api_key` is the only key accepted; None accepts any non-empty key.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None
    ) -> None:
        self._state = _State(api_key=api_key)
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.state = self._state  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def received(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.received)

    def script(self, *answers: Script) -> None:
        """Queue what the next calls get, in order; then the echo resumes."""
        with self._state.lock:
            self._state.script.extend(answers)

    def reset(self) -> None:
        with self._state.lock:
            self._state.script.clear()
            self._state.received.clear()

    def start(self) -> GeminiStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="gemini-standin",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._state.stopping.set()
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GeminiStandIn"

    @property
    def state(self) -> _State:
        return self.server.state  # type: ignore[attr-defined]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/_standin/script":
            self._script_by_name(raw)
            return
        received = self._receive(raw)
        self._send(self._answer_for(received))

    def do_GET(self) -> None:
        if self.path != "/_standin/received":
            self._send(error(404, "NOT_FOUND", f"no route for GET {self.path}"))
            return
        with self.state.lock:
            seen = [_without_key(each) for each in self.state.received]
        self._send(json_answer({"received": seen}))

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("stand-in: " + format, *args)

    def _receive(self, raw: bytes) -> Received:
        route = ROUTE.match(self.path.split("?", 1)[0])
        try:
            body = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            body = None
        received = Received(
            method="POST",
            path=self.path,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            api_version=route["version"] if route else None,
            model=route["model"] if route else None,
        )
        with self.state.lock:
            self.state.received.append(received)
        return received

    def _answer_for(self, received: Received) -> Answer:
        if received.model is None:
            return error(404, "NOT_FOUND", f"no route for POST {received.path}")
        refusal = self._check_key(received.headers.get("x-goog-api-key"))
        if refusal is not None:
            return refusal
        if not isinstance(received.body, dict) or "contents" not in received.body:
            return invalid_argument(
                "* GenerateContentRequest.contents: contents is not specified"
            )
        with self.state.lock:
            scripted = self.state.script.popleft() if self.state.script else echo
        return scripted(received) if callable(scripted) else scripted

    def _check_key(self, key: str | None) -> Answer | None:
        if not key:
            return permission_denied()
        expected = self.state.api_key
        if expected is not None and key != expected:
            return invalid_key()
        return None

    def _script_by_name(self, raw: bytes) -> None:
        try:
            names = json.loads(raw)["answers"]
            answers = [NAMED[name]() for name in names]
        except (ValueError, KeyError, TypeError):
            known = ", ".join(NAMED)
            self._send(
                error(
                    400,
                    "INVALID_ARGUMENT",
                    f"send {{'answers': [names]}}; names: {known}",
                )
            )
            return
        with self.state.lock:
            self.state.script.extend(answers)
        self._send(json_answer({"scripted": names}))

    def _send(self, answer: Answer) -> None:
        if answer.delay_seconds and self.state.stopping.wait(answer.delay_seconds):
            return
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("stand-in: the client left before the answer")


def _without_key(received: Received) -> dict[str, Any]:
    """A received request to show over HTTP, its key header masked."""
    shown = dict(vars(received))
    if "x-goog-api-key" in received.headers:
        shown["headers"] = received.headers | {"x-goog-api-key": "[redacted]"}
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--api-key", default=None, help="the only key accepted (default: any)"
    )
    args = parser.parse_args()

    logging.basicConfig(level=logging.INFO)
    standin = GeminiStandIn(args.host, args.port, api_key=args.api_key)
    print(f"Gemini stand-in at {standin.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()
    standin.stop()


if __name__ == "__main__":
    main()
