"""infra/destroy.sh: removes what the other scripts made, only once confirmed."""

from __future__ import annotations

import pytest
from fake_gcloud import FUNCTION_NAMES, PROJECT, REGION, TARGET, Cloud, Result

SCRIPT = "destroy.sh"
SECRETS = (
    "flight-recorder-google-api-key",
    "flight-recorder-mongodb-uri",
    "flight-recorder-api-keys",
    "flight-recorder-dashboard-api-key",
)
ACCOUNTS = (
    f"flight-recorder-fn@{PROJECT}.iam.gserviceaccount.com",
    f"flight-recorder-dashboard@{PROJECT}.iam.gserviceaccount.com",
)


def deleted(result: Result) -> list[tuple[str, ...]]:
    return [call.argv[:-1] for call in result.changes() if "delete" in call.argv]


def deleted_names(result: Result) -> list[str]:
    return [
        call.argv[call.argv.index("delete") + 1]
        for call in result.changes()
        if "delete" in call.argv
    ]


def test_destroy_refuses_without_confirmation(cloud: Cloud) -> None:
    cloud.write("infra/.function-urls.env", "FLIGHT_RECORDER_CHAT_URL=https://x\n")

    result = cloud.run(SCRIPT, *TARGET)

    assert result.returncode != 0
    assert "Type the project id to confirm" in result.stderr
    assert "nothing was deleted" in result.stderr
    assert not result.changes()
    assert (cloud.repo / "infra" / ".function-urls.env").exists()


@pytest.mark.parametrize("answer", ["y\n", "yes\n", "demo\n", f"{PROJECT}-x\n"])
def test_destroy_refuses_any_answer_but_the_project_id(
    cloud: Cloud, answer: str
) -> None:
    result = cloud.run(SCRIPT, *TARGET, stdin=answer)

    assert result.returncode != 0
    assert not result.changes()


def test_destroy_deletes_everything_once_the_project_id_is_typed(
    cloud: Cloud,
) -> None:
    cloud.write("infra/.function-urls.env", "FLIGHT_RECORDER_CHAT_URL=https://x\n")

    result = cloud.run(SCRIPT, *TARGET, stdin=f"{PROJECT}\n")

    assert result.returncode == 0, result.output
    assert deleted_names(result) == [
        *FUNCTION_NAMES,
        "flight-recorder-dashboard",
        *SECRETS,
        *ACCOUNTS,
    ]
    assert not (cloud.repo / "infra" / ".function-urls.env").exists()


def test_destroy_deletes_quietly_in_the_given_project_and_region(
    cloud: Cloud,
) -> None:
    result = cloud.run(SCRIPT, *TARGET, "--yes")

    for call in result.changes():
        if "delete" in call.argv:
            assert call.flag("project") == PROJECT
            assert call.has("--quiet")
            if call.argv[0] in ("functions", "run"):
                assert call.flag("region") == REGION


def test_destroy_finds_functions_by_their_label(cloud: Cloud) -> None:
    result = cloud.run(
        SCRIPT, *TARGET, "--yes", env={"FAKE_GCLOUD_FUNCTIONS": "chat replay"}
    )

    (listing,) = result.calls_to("functions", "list")
    assert listing.flag("filter") == "labels.app=flight-recorder"
    assert listing.flag("regions") == REGION
    assert [call.argv[2] for call in result.calls_to("functions", "delete")] == [
        "chat",
        "replay",
    ]


def test_destroy_yes_skips_the_question(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, *TARGET, "--yes")

    assert result.returncode == 0, result.output
    assert "Type the project id" not in result.stderr
    assert len(deleted(result)) == len(FUNCTION_NAMES) + 1 + 4 + 2


def test_destroy_skips_what_is_already_gone(cloud: Cloud) -> None:
    gone = " ".join(["flight-recorder-dashboard", SECRETS[0], ACCOUNTS[1]])

    result = cloud.run(
        SCRIPT,
        *TARGET,
        "--yes",
        env={"FAKE_GCLOUD_MISSING": gone, "FAKE_GCLOUD_FUNCTIONS": ""},
    )

    assert result.returncode == 0, result.output
    assert deleted_names(result) == [*SECRETS[1:], ACCOUNTS[0]]
    assert "no Flight Recorder functions" in result.stderr


def test_destroy_stops_when_functions_cannot_be_listed(cloud: Cloud) -> None:
    result = cloud.run(
        SCRIPT, *TARGET, "--yes", env={"FAKE_GCLOUD_FAIL": "functions list"}
    )

    assert result.returncode != 0
    assert not result.changes()


def test_destroy_dry_run_asks_nothing_and_deletes_nothing(cloud: Cloud) -> None:
    cloud.write("infra/.function-urls.env", "FLIGHT_RECORDER_CHAT_URL=https://x\n")

    result = cloud.run(SCRIPT, *TARGET, "--dry-run")

    assert result.returncode == 0, result.output
    assert not result.changes()
    printed = [call.argv[call.argv.index("delete") + 1] for call in result.printed()]
    assert printed == [
        *FUNCTION_NAMES,
        "flight-recorder-dashboard",
        *SECRETS,
        *ACCOUNTS,
    ]
    assert "+ rm -f -- infra/.function-urls.env" in result.stdout
    assert (cloud.repo / "infra" / ".function-urls.env").exists()


@pytest.mark.parametrize("args", [("--force",), ("--project",), ("now",)])
def test_destroy_bad_arguments_print_usage(cloud: Cloud, args: tuple[str, ...]) -> None:
    result = cloud.run(SCRIPT, *args)

    assert result.returncode == 2
    assert "Usage: infra/destroy.sh" in result.stderr
    assert not result.calls
