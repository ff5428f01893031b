"""Every script in infra/: shellcheck-clean, documented, strict about errors."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from fake_gcloud import INFRA

SCRIPTS = sorted(INFRA.glob("*.sh"))
EXECUTABLES = [path for path in SCRIPTS if path.name != "lib.sh"]


def test_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")

    result = subprocess.run(
        [shellcheck, "--external-sources", *map(str, SCRIPTS)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("script", EXECUTABLES, ids=lambda path: path.name)
def test_scripts_open_with_purpose_and_usage(script: Path) -> None:
    lines = script.read_text().splitlines()

    assert lines[0] == "#!/usr/bin/env bash"
    header = []
    for line in lines[1:]:
        if not line.startswith("#"):
            break
        header.append(line)
    assert len(header) >= 3
    assert any(line.startswith(f"# Usage: infra/{script.name}") for line in header)
    assert lines[len(header) + 1] == "set -euo pipefail"


@pytest.mark.parametrize("script", EXECUTABLES, ids=lambda path: path.name)
def test_scripts_are_executable(script: Path) -> None:
    assert os.access(script, os.X_OK)


def test_scripts_never_trace_commands() -> None:
    # `set -x` would print the secret values setup_secrets.sh pipes to gcloud.
    for script in SCRIPTS:
        assert "set -x" not in script.read_text(), script.name
