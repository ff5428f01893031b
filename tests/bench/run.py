"""What a recorder costs per call: `python tests/bench/run.py [--quick]`.

Five sections, each against the bare function (`bare.py`) served the same
way, and each recorder over mongomock in-process (`memory`) and over the
embedded store (`embedded`):

1. cold start — importing each function's module in a fresh process;
2. latency — median and p95 of one chat call, miss and hit;
3. throughput — requests per second and p99 at several client counts;
4. round trips — store operations per chat call, counted;
5. scaling — trace pages, metrics and memory at growing store sizes.

Results go to `tests/bench/results/latest.json` (and the servers' logs to
`results/logs/`); a table of them is printed. `--quick` runs every section
with tiny counts, to check that the benchmark works, not to measure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import coldstart
import latency
import report
import roundtrips
import scaling
import servers
import throughput

RESULTS = Path(__file__).resolve().parent / "results"
SECTIONS = ("cold_start", "latency", "throughput", "round_trips", "scaling")


@dataclass(frozen=True)
class Profile:
    cold_runs: int
    latency_requests: int
    levels: tuple[int, ...]
    rounds: int
    burst_seconds: float
    sizes: tuple[int, ...]
    repeats: int


FULL = Profile(
    cold_runs=9,
    latency_requests=400,
    levels=(1, 8, 32),
    rounds=3,
    burst_seconds=2.0,
    sizes=(1_000, 10_000, 100_000),
    repeats=5,
)
QUICK = Profile(
    cold_runs=1,
    latency_requests=10,
    levels=(1, 4),
    rounds=1,
    burst_seconds=0.3,
    sizes=(200,),
    repeats=1,
)


def main() -> None:
    args = _arguments()
    profile = QUICK if args.quick else FULL
    run = uuid.uuid4().hex[:8]
    logs = args.output.parent / "logs"
    results: dict[str, Any] = {
        "machine": machine(),
        "profile": asdict(profile) | {"name": "quick" if args.quick else "full"},
        "settings": {"workers": 1, "threads": servers.THREADS},
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    for section in args.sections:
        began = time.perf_counter()
        print(f"-- {section}", file=sys.stderr, flush=True)
        results[section] = _SECTIONS[section](profile, logs, run)
        results.setdefault("seconds", {})[section] = round(
            time.perf_counter() - began, 1
        )
        # Written after every section, so a failure later keeps what was measured.
        _write(args.output, results)

    results["targets"] = report.verdicts(results)
    _write(args.output, results)
    print(report.tables(results))
    print(f"\nwritten to {args.output}")


def _write(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _cold_start(profile: Profile, logs: Path, run: str) -> Any:
    return {
        "imports": coldstart.measure(profile.cold_runs),
        "first_answer": coldstart.first_answer(profile.cold_runs, logs),
    }


def _served() -> dict[str, dict[str, str]]:
    return {
        "bare": servers.bare_spec(),
        "memory": servers.recorder_spec("memory"),
        "embedded": servers.recorder_spec("embedded"),
    }


def _latency(profile: Profile, logs: Path, run: str) -> Any:
    with servers.running(logs, **_served()) as running:
        return latency.measure(running, profile.latency_requests, run)


def _throughput(profile: Profile, logs: Path, run: str) -> Any:
    with servers.running(logs, **_served()) as running:
        return throughput.measure(
            running, profile.levels, profile.rounds, profile.burst_seconds, run
        )


def _round_trips(profile: Profile, logs: Path, run: str) -> Any:
    one_call_a_day = {"MAX_RPD": "1"}
    specs = {
        "memory": servers.recorder_spec("memory"),
        "embedded": servers.recorder_spec("embedded"),
        "memory-limited": servers.recorder_spec("memory", **one_call_a_day),
        "embedded-limited": servers.recorder_spec("embedded", **one_call_a_day),
    }
    with servers.running(logs, **specs) as running:
        recorders = {name: running[name] for name in ("memory", "embedded")}
        limited = {name: running[f"{name}-limited"] for name in recorders}
        return roundtrips.measure(recorders, limited, run)


def _scaling(profile: Profile, logs: Path, run: str) -> Any:
    specs = {
        "memory": servers.recorder_spec("memory"),
        "embedded": servers.recorder_spec("embedded"),
    }
    with servers.running(logs, **specs) as running:
        return scaling.measure(running, profile.sizes, profile.repeats)


_SECTIONS = {
    "cold_start": _cold_start,
    "latency": _latency,
    "throughput": _throughput,
    "round_trips": _round_trips,
    "scaling": _scaling,
}


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny counts")
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS / "latest.json",
        help="where to write the results (default: %(default)s)",
    )
    parser.add_argument(
        "--sections",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        help="run only these sections",
    )
    return parser.parse_args()


if __name__ == "__main__":
    main()
