"""The results as Markdown tables, and each figure against its target."""

from __future__ import annotations

from typing import Any

RECORDERS = ("memory", "embedded")
NA = "n/a"


def tables(results: dict[str, Any]) -> str:
    parts = [_machine(results)]
    for section, render in (
        ("cold_start", _cold_start),
        ("latency", _latency),
        ("throughput", _throughput),
        ("round_trips", _round_trips),
        ("scaling", _scaling),
    ):
        if section in results:
            parts.append(render(results[section]))
    parts.append(_targets(results["targets"]))
    return "\n\n".join(parts)


def verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the measured figure and whether it is met."""
    found: list[dict[str, Any]] = []

    def check(target: str, figure: float | None, limit: float, at_most: bool) -> None:
        met = None
        if figure is not None:
            met = figure <= limit if at_most else figure >= limit
        found.append({"target": target, "figure": figure, "limit": limit, "met": met})

    cold = results.get("cold_start")
    if cold:
        ratio = cold["imports"]["main.py (mock)"]["ratio_to_functions_framework"]
        check("mock-mode import of main.py, x functions_framework", ratio, 1.5, True)
    timing = results.get("latency")
    if timing:
        added = timing["miss"]["memory"]["added_median_ms"]
        check("added median latency of a miss (memory), ms", added, 1.0, True)
    load = results.get("throughput")
    if load:
        for kind in ("chat-miss", "chat-hit", "traces", "trace-detail"):
            for level, row in load[kind].items():
                for store in RECORDERS:
                    share = row[store]["share_of_bare"]
                    check(f"{kind} x{level} {store}, share of bare", share, 0.5, False)
    trips = results.get("round_trips")
    if trips:
        for store in RECORDERS:
            check(
                f"round trips of a miss ({store})", max(trips[store]["miss"]), 4, True
            )
            check(f"round trips of a hit ({store})", max(trips[store]["hit"]), 2, True)
    sizes = results.get("scaling")
    if sizes and "10000" in sizes:
        embedded = sizes["10000"]["embedded"]
        check(
            "embedded first page at 10,000, ms",
            embedded["traces_first_page"],
            500,
            True,
        )
        check("embedded peak RSS at 10,000, MB", embedded["peak_rss_mb"], 300, True)
    return found


def _machine(results: dict[str, Any]) -> str:
    machine = results["machine"]
    return (
        f"Machine: {machine['cpus']} CPUs, {machine['cpu_model']}, "
        f"Python {machine['python']}; profile {results['profile']['name']}; "
        f"gunicorn 1 worker x {results['settings']['threads']} threads."
    )


def _table(head: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return NA
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _cold_start(cold: dict[str, Any]) -> str:
    rows = []
    for name, entry in cold["imports"].items():
        if not entry["available"]:
            rows.append([name, NA, NA, NA, NA, NA])
            continue
        rows.append(
            [
                name,
                entry["runs"],
                entry["import_ms"],
                entry["import_p95_ms"],
                entry["process_ms"],
                entry["ratio_to_functions_framework"],
            ]
        )
    head = ["1. cold start", "runs", "import ms", "p95 ms", "process ms", "x ff"]
    served = [
        [name, entry["runs"], entry["median_ms"]]
        for name, entry in cold["first_answer"].items()
    ]
    head_served = ["1. launch to first chat answer", "runs", "median ms"]
    return _table(head, rows) + "\n\n" + _table(head_served, served)


def _latency(timing: dict[str, Any]) -> str:
    rows = []
    for case in ("miss", "hit"):
        for name, entry in timing[case].items():
            rows.append(
                [
                    case,
                    name,
                    entry["n"],
                    entry["median_ms"],
                    entry["p95_ms"],
                    entry.get("added_median_ms"),
                    entry.get("added_p95_ms"),
                    ", ".join(f"{k}:{v}" for k, v in entry["x_cache"].items()),
                ]
            )
    head = [
        "2. chat latency",
        "server",
        "n",
        "median ms",
        "p95 ms",
        "added median",
        "added p95",
        "X-Cache",
    ]
    return _table(head, rows)


def _throughput(load: dict[str, Any]) -> str:
    rows = []
    for kind, levels in load.items():
        if not isinstance(levels, dict):
            continue
        for level, row in levels.items():
            cells: list[Any] = [kind, level]
            for name in ("bare", *RECORDERS):
                entry = row[name]
                cells += [entry["requests_per_s"], entry["p99_ms"]]
                if name != "bare":
                    cells.append(entry["share_of_bare"])
                if entry["failures"]:
                    cells[-1] = f"{_cell(cells[-1])} ({entry['failures']} failed)"
            rows.append(cells)
    head = [
        "3. throughput",
        "clients",
        "bare req/s",
        "bare p99 ms",
        "memory req/s",
        "memory p99 ms",
        "memory / bare",
        "embedded req/s",
        "embedded p99 ms",
        "embedded / bare",
    ]
    note = f"\n\n(traces and trace-detail over {load['seeded_traces']} seeded traces)"
    return _table(head, rows) + note


def _round_trips(trips: dict[str, Any]) -> str:
    rows = [
        [
            store,
            _spread(entry["miss"]),
            _spread(entry["hit"]),
            _spread(entry.get("rate_limited", [])),
        ]
        for store, entry in trips.items()
    ]
    return _table(["4. round trips", "miss", "hit", "rate-limited"], rows)


def _spread(values: list[int]) -> str:
    if not values:
        return NA
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def _scaling(sizes: dict[str, Any]) -> str:
    rows = []
    for size, stores in sizes.items():
        for store, entry in stores.items():
            rows.append(
                [
                    f"{int(size):,}",
                    store,
                    *(_query_cell(entry, query) for query in SCALING_QUERIES),
                    entry["peak_rss_mb"],
                    entry["seed_seconds"],
                ]
            )
    head = [
        "5. traces",
        "store",
        "first page ms",
        "filtered page ms",
        "metrics ms",
        "peak RSS MB",
        "fill s",
    ]
    return _table(head, rows)


SCALING_QUERIES = ("traces_first_page", "traces_filtered_page", "metrics_24h")


def _query_cell(entry: dict[str, Any], query: str) -> str:
    problem = entry["problems"].get(query)
    if entry[query] is None:
        return NA if problem is None else str(problem)
    runs = entry["samples"][query]
    return (
        f"{_cell(entry[query])} ({runs} run{'s' if runs > 1 else ''})"
        if problem
        else _cell(entry[query])
    )


def _targets(found: list[dict[str, Any]]) -> str:
    rows = []
    for entry in found:
        met = {True: "met", False: "MISSED", None: NA}[entry["met"]]
        rows.append([entry["target"], entry["figure"], entry["limit"], met])
    return _table(["target", "figure", "limit", "verdict"], rows)
