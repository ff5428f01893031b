"""Cold start: how long a fresh interpreter takes to import each function's module.

Each variant runs in its own process, in a scratch folder, with the module's
settings in its environment. The import itself is timed inside the process
(`import_ms`); `process_ms` adds interpreter start and exit. Variants take
turns run after run, so a burst of load elsewhere on the machine spreads over
all of them. One untimed round first fills the bytecode caches.

Importing is not all of a cold start: `first_answer` times a served function
from the launch of functions-framework to its first chat answer, which adds
gunicorn's start, opening the store and building the provider.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import corpus
import servers
import stats
from servers import FUNCTIONS, clean_environment

GEMINI_MODULE = FUNCTIONS / "flight_recorder" / "providers" / "gemini.py"
MOCK = {"USE_MOCK_LLM": "true"}
GEMINI = {"USE_MOCK_LLM": "false", "GOOGLE_API_KEY": "x"}
# Building the provider is what the first request does after the import.
WITH_PROVIDER = "from flight_recorder import providers; providers.get()"


@dataclass(frozen=True)
class Variant:
    name: str
    statement: str
    settings: dict[str, str]
    needs_gemini: bool = False


VARIANTS = (
    Variant("functions_framework", "import functions_framework", MOCK),
    Variant("bare.py", "import bare", MOCK),
    Variant("main.py (mock)", "import main", MOCK),
    Variant("main.py (mock) + provider", f"import main; {WITH_PROVIDER}", MOCK),
    Variant("main.py (gemini)", "import main", GEMINI),
    Variant(
        "main.py (gemini) + provider",
        f"import main; {WITH_PROVIDER}",
        GEMINI,
        needs_gemini=True,
    ),
    Variant(
        "functions_framework + main.py (mock)",
        "import functions_framework, main",
        MOCK,
    ),
)


def measure(runs: int) -> dict[str, dict[str, object]]:
    """Median import and process times of every variant over `runs` runs."""
    usable = [v for v in VARIANTS if GEMINI_MODULE.exists() or not v.needs_gemini]
    samples: dict[str, list[tuple[float, float]]] = {v.name: [] for v in usable}
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as scratch:
        for round_number in range(runs + 1):
            for variant in usable:
                timing = _run(variant, scratch)
                if round_number > 0:
                    samples[variant.name].append(timing)

    results: dict[str, dict[str, object]] = {}
    for variant in VARIANTS:
        if variant.name not in samples:
            results[variant.name] = {"available": False, "why": "no gemini.py"}
            continue
        imports = [s[0] for s in samples[variant.name]]
        processes = [s[1] for s in samples[variant.name]]
        results[variant.name] = {
            "available": True,
            "runs": len(imports),
            "import_ms": round(stats.median(imports) or 0.0, 1),
            "import_p95_ms": round(stats.percentile(imports, 95) or 0.0, 1),
            "process_ms": round(stats.median(processes) or 0.0, 1),
        }
    base = results["functions_framework"]["import_ms"]
    for entry in results.values():
        if entry["available"]:
            entry["ratio_to_functions_framework"] = round(entry["import_ms"] / base, 2)
    return results


def _run(variant: Variant, scratch: str) -> tuple[float, float]:
    program = (
        "import time; _t = time.perf_counter(); "
        f"{variant.statement}; "
        "print((time.perf_counter() - _t) * 1000)"
    )
    env = clean_environment(**variant.settings)
    started = time.perf_counter()
    finished = subprocess.run(
        [sys.executable, "-c", program],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    process_ms = (time.perf_counter() - started) * 1000
    return float(finished.stdout.strip().splitlines()[-1]), process_ms


def first_answer(runs: int, logs: Path) -> dict[str, dict[str, float | int]]:
    """Median milliseconds from launching each server to its first chat answer."""
    specs = {
        "bare": servers.bare_spec(),
        "memory": servers.recorder_spec("memory"),
        "embedded": servers.recorder_spec("embedded"),
    }
    samples: dict[str, list[float]] = {name: [] for name in specs}
    for number in range(runs):
        for name, spec in specs.items():
            settings = dict(spec)
            source = Path(settings.pop("source"))
            began = time.perf_counter()
            server = servers.start(f"cold-{name}", source, logs, **settings)
            connection = server.connect()
            body = {"message": corpus.unique_prompt(number, "cold")}
            status = connection.send("POST", "/chat", body).status
            elapsed = (time.perf_counter() - began) * 1000
            connection.close()
            servers.stop(server)
            if status == 200:
                samples[name].append(elapsed)
    return {
        name: {"runs": len(values), "median_ms": round(stats.median(values) or 0, 1)}
        for name, values in samples.items()
    }
