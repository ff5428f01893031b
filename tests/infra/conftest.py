"""Fixtures for the tests of the deploy scripts."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_gcloud import Cloud


@pytest.fixture
def cloud(tmp_path: Path) -> Cloud:
    """A scratch repository whose infra/ scripts call a recording fake gcloud."""
    return Cloud(tmp_path)
