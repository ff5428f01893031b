"""The request mix: the real prompts of the shared corpus, read in place.

The corpus lives beside the repository (`../shared/data/prompts.csv`) and is
never copied into it. Prompts the chat function refuses (empty, or longer than
its default `MAX_MESSAGE_CHARS`) are left out: the benchmark measures recorded
calls, and a refusal records nothing.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROMPTS_CSV = REPO.parent / "shared" / "data" / "prompts.csv"
MAX_MESSAGE_CHARS = 100_000


@functools.cache
def prompts() -> tuple[str, ...]:
    """Every accepted prompt of the corpus, in file order."""
    # Some prompts are far longer than the csv module's default field limit.
    csv.field_size_limit(10_000_000)
    with PROMPTS_CSV.open(newline="", encoding="utf-8") as handle:
        rows = [row["prompt"] for row in csv.DictReader(handle)]
    return tuple(p for p in rows if p.strip() and len(p) <= MAX_MESSAGE_CHARS)


def prompt(index: int) -> str:
    """The corpus prompt at `index`, cycling."""
    mix = prompts()
    return mix[index % len(mix)]


def unique_prompt(index: int, run: str) -> str:
    """A corpus prompt made unique to this run, so it misses the cache."""
    return f"[{run}:{index}] {prompt(index)}"
