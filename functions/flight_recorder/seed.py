"""Fill a recorder with real prompts, sent one by one through its chat function.

Usage:
    python -m flight_recorder.seed --file PATH [--n N] [--chat-url URL]
                                   [--api-key KEY] [--session-id ID]

PATH is a CSV file with a `prompt` column, or a JSON Lines file whose objects
carry `message` or `prompt`. The first N prompts are sent (all by default).
Prompts the function rejects (too long, invalid) are skipped and counted;
the run stops at once if the function cannot be reached or refuses the API
key. Exit status: 0 when every prompt was answered or rejected, 1 when some
failed, 2 on bad arguments, an unreadable file or a run stopped early.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

DEFAULT_CHAT_URL = "http://127.0.0.1:8081/"
TIMEOUT_SECONDS = 120.0
TAG = "seed"


class Stopped(Exception):
    """Nothing more can be sent: the function is unreachable or refuses the key."""


def read_prompts(path: Path) -> Iterator[str]:
    """The prompts of a CSV or JSON Lines file, in file order, empty ones left out."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        yield from _jsonl_prompts(path)
    else:
        yield from _csv_prompts(path)


def _csv_prompts(path: Path) -> Iterator[str]:
    # Some real prompts are longer than the csv module's default field limit.
    csv.field_size_limit(2**31 - 1)
    with path.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        if "prompt" not in (reader.fieldnames or []):
            raise ValueError(f"{path} has no 'prompt' column")
        for row in reader:
            if row["prompt"] and row["prompt"].strip():
                yield row["prompt"]


def _jsonl_prompts(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise ValueError(f"{path}:{number} is not valid JSON") from None
            text = record.get("message") or record.get("prompt")
            if isinstance(text, str) and text.strip():
                yield text


def send(url: str, body: dict, api_key: str | None) -> tuple[int, dict]:
    """POST `body` as JSON; the status and the JSON answer (empty if none)."""
    headers = {"Content-Type": "application/json", "User-Agent": "flight-recorder-seed"}
    if api_key:
        headers["X-API-Key"] = api_key
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Stopped(f"cannot reach the chat function at {url}: {exc}") from None


def _json(raw: bytes) -> dict:
    try:
        answer = json.loads(raw)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def outcome(status: int, answer: dict) -> str:
    """How one call is counted: `answered`, `cached`, `rejected:…` or `failed:…`."""
    if status == 200:
        return "cached" if answer.get("cached") else "answered"
    code = (answer.get("error") or {}).get("code") or str(status)
    if 400 <= status < 500 and status != 429:
        return f"rejected:{code}"
    return f"failed:{code}"


def seed(
    prompts: Iterator[str],
    url: str,
    *,
    limit: int | None,
    api_key: str | None = None,
    session_id: str | None = None,
) -> collections.Counter[str]:
    """Send up to `limit` prompts; counts of each outcome."""
    counts: collections.Counter[str] = collections.Counter()
    for sent, prompt in enumerate(prompts):
        if limit is not None and sent >= limit:
            break
        body: dict = {"message": prompt, "tags": [TAG]}
        if session_id:
            body["session_id"] = session_id
        status, answer = send(url, body, api_key)
        if status in (401, 403):
            raise Stopped(f"the chat function refused the API key (HTTP {status})")
        counts[outcome(status, answer)] += 1
    return counts


def report(counts: collections.Counter[str]) -> str:
    """One line per outcome, then the total."""
    lines = [f"  {name:<32} {counts[name]}" for name in sorted(counts)]
    lines.append(f"  {'total':<32} {sum(counts.values())}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True, help="CSV or JSONL")
    parser.add_argument("--n", type=int, default=None, help="prompts to send")
    parser.add_argument(
        "--chat-url",
        default=os.environ.get("FLIGHT_RECORDER_CHAT_URL", DEFAULT_CHAT_URL),
        help="the chat function (default FLIGHT_RECORDER_CHAT_URL, else local)",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("FLIGHT_RECORDER_API_KEY"),
        help="sent as X-API-Key (default FLIGHT_RECORDER_API_KEY)",
    )
    parser.add_argument("--session-id", default=None, help="session of every call")
    args = parser.parse_args(argv)
    if args.n is not None and args.n < 1:
        parser.error("--n must be at least 1")
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")

    try:
        counts = seed(
            read_prompts(args.file),
            args.chat_url,
            limit=args.n,
            api_key=args.api_key,
            session_id=args.session_id,
        )
    except (Stopped, ValueError) as exc:
        print(f"seed: {exc}", file=sys.stderr)
        return 2
    print(f"Sent to {args.chat_url}:\n{report(counts)}")
    return 1 if any(name.startswith("failed") for name in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
