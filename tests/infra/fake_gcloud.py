"""A fake gcloud and a scratch repository for testing the scripts in infra/.

Each test runs the real scripts from a scratch copy of the repository layout,
with a fake `gcloud` first on PATH. The fake records every call as one JSON
line (its arguments, and its standard input when it was asked to read a file
from `-`) and answers the few lookups the scripts make.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"

PROJECT = "demo-project"
REGION = "europe-west1"
FUNCTION_NAMES = (
    "chat",
    "traces",
    "trace-detail",
    "health",
    "metrics",
    "replay",
    "export",
)
ENTRY_POINTS = (
    "chat",
    "traces",
    "trace_detail",
    "health",
    "metrics",
    "replay",
    "export",
)
# The flags that name the project and region, as every script accepts them.
TARGET = (f"--project={PROJECT}", f"--region={REGION}")

FAKE_GCLOUD = """\
import json
import os
import sys

argv = sys.argv[1:]
stdin = sys.stdin.read() if "--data-file=-" in argv else None
with open(os.environ["FAKE_GCLOUD_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"argv": argv, "stdin": stdin}) + "\\n")

command = " ".join(argv)
failing = os.environ.get("FAKE_GCLOUD_FAIL")
if failing and command.startswith(failing):
    sys.exit("ERROR: (gcloud) simulated failure")
failing_once = os.environ.get("FAKE_GCLOUD_FAIL_ONCE")
marker = os.environ["FAKE_GCLOUD_LOG"] + ".failed"
if failing_once and command.startswith(failing_once) and not os.path.exists(marker):
    open(marker, "w").close()
    sys.exit("ERROR: (gcloud) simulated passing failure")

words = [word for word in argv if not word.startswith("-")]
missing = os.environ.get("FAKE_GCLOUD_MISSING", "").split()

if words[:2] == ["config", "get-value"]:
    key = "FAKE_GCLOUD_CONFIG_" + words[2].replace("/", "_").upper()
    print(os.environ.get(key, ""))
elif "describe" in words:
    name = words[words.index("describe") + 1]
    if name in missing:
        sys.exit(f"ERROR: (gcloud) NOT_FOUND: {name}")
    if words[0] in ("functions", "run"):
        print(f"https://{name}-a1b2c3-ew.a.run.app")
    else:
        print(f"name: {name}")
elif words[:2] == ["functions", "list"]:
    for name in os.environ.get("FAKE_GCLOUD_FUNCTIONS", "").split():
        print(name)
else:
    print("Done.", file=sys.stderr)
"""


@dataclass(frozen=True)
class Call:
    """One gcloud command line, without the leading `gcloud`."""

    argv: tuple[str, ...]
    stdin: str | None = None

    def is_(self, *words: str) -> bool:
        return self.argv[: len(words)] == words

    def flag(self, name: str) -> str | None:
        """The value of `--name=value`, or None when absent."""
        prefix = f"--{name}="
        values = [arg[len(prefix) :] for arg in self.argv if arg.startswith(prefix)]
        return values[-1] if values else None

    def has(self, flag: str) -> bool:
        return flag in self.argv

    @property
    def changes_something(self) -> bool:
        lookups = {"describe", "list", "get-value"}
        return not lookups.intersection(self.argv)


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    calls: list[Call]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def printed(self) -> list[Call]:
        """The gcloud commands a dry run printed, parsed as a shell would."""
        commands = []
        for line in self.stdout.splitlines():
            if line.startswith("+ gcloud "):
                words = shlex.split(line[2:], comments=True)
                commands.append(Call(tuple(words[1:])))
        return commands

    def changes(self) -> list[Call]:
        return [call for call in self.calls if call.changes_something]

    def calls_to(self, *words: str) -> list[Call]:
        return [call for call in self.calls if call.is_(*words)]


class Cloud:
    """A scratch repository, a fake gcloud, and a way to run the scripts."""

    def __init__(self, root: Path) -> None:
        """Lay out `root/repo`, `root/bin/gcloud` and the log beside them."""
        self.repo = root / "repo"
        self.log = root / "gcloud.jsonl"
        self.bin = root / "bin"
        self.env = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(root / "home"),
            "LANG": "C.UTF-8",
            "FAKE_GCLOUD_LOG": str(self.log),
            "FAKE_GCLOUD_FUNCTIONS": " ".join(FUNCTION_NAMES),
            "RETRY_DELAY_SECONDS": "0",
        }
        self._lay_out_repo()
        self._install_fake_gcloud()

    def _lay_out_repo(self) -> None:
        (self.repo / "infra").mkdir(parents=True)
        for script in INFRA.glob("*.sh"):
            shutil.copy2(script, self.repo / "infra" / script.name)
        entry_points = "".join(
            f"def {name}(request):\n    return 'ok'\n\n\n" for name in ENTRY_POINTS
        )
        self.write("functions/main.py", entry_points)
        self.write("functions/requirements.txt", "functions-framework\n")
        self.write("dashboard/app.py", "import streamlit as st\n")
        self.write("dashboard/requirements.txt", "streamlit\n")

    def _install_fake_gcloud(self) -> None:
        self.bin.mkdir()
        gcloud = self.bin / "gcloud"
        gcloud.write_text(f"#!{sys.executable}\n{FAKE_GCLOUD}", encoding="utf-8")
        gcloud.chmod(gcloud.stat().st_mode | stat.S_IXUSR)

    def write(self, relative: str, text: str) -> Path:
        path = self.repo / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def run(
        self,
        script: str,
        *args: str,
        stdin: str = "",
        env: dict[str, str] | None = None,
    ) -> Result:
        """Run infra/<script> from outside the repository, like a user would."""
        self.log.unlink(missing_ok=True)
        Path(f"{self.log}.failed").unlink(missing_ok=True)
        completed = subprocess.run(
            ["bash", str(self.repo / "infra" / script), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=self.repo.parent,
            timeout=60,
            check=False,
        )
        return Result(
            completed.returncode,
            completed.stdout,
            completed.stderr,
            list(self._recorded_calls()),
        )

    def _recorded_calls(self) -> Iterable[Call]:
        if not self.log.exists():
            return
        for line in self.log.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            yield Call(tuple(record["argv"]), record["stdin"])
