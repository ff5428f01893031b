"""infra/setup_secrets.sh: APIs, service accounts, secrets and who may read them."""

from __future__ import annotations

import pytest
from fake_gcloud import PROJECT, Cloud, Result

SCRIPT = "setup_secrets.sh"
FUNCTIONS_ACCOUNT = f"flight-recorder-fn@{PROJECT}.iam.gserviceaccount.com"
DASHBOARD_ACCOUNT = f"flight-recorder-dashboard@{PROJECT}.iam.gserviceaccount.com"

VALUES = {
    "GOOGLE_API_KEY": "AIzaTEST-gemini-key-0042",
    "MONGODB_URI": "mongodb+srv://recorder:pw-Zq9x!@cluster0.example.mongodb.net/",
    "API_KEYS": "key-dashboard-7f3a, key-cli-19bc",
    "FLIGHT_RECORDER_API_KEY": "key-dashboard-7f3a",
}
SECRET_OF = {
    "GOOGLE_API_KEY": "flight-recorder-google-api-key",
    "MONGODB_URI": "flight-recorder-mongodb-uri",
    "API_KEYS": "flight-recorder-api-keys",
    "FLIGHT_RECORDER_API_KEY": "flight-recorder-dashboard-api-key",
}
# Pieces of the values that must never show up outside standard input.
SENSITIVE = (*VALUES.values(), "pw-Zq9x!", "key-cli-19bc", "AIzaTEST")
NOTHING_EXISTS = " ".join([FUNCTIONS_ACCOUNT, DASHBOARD_ACCOUNT, *SECRET_OF.values()])


def stdin_for(**overrides: str) -> str:
    values = {**VALUES, **overrides}
    return "".join(f"{values[name]}\n" for name in VALUES)


def setup(cloud: Cloud, *args: str, stdin: str | None = None, **env: str) -> Result:
    """Run the script on a project where nothing exists yet."""
    return cloud.run(
        SCRIPT,
        f"--project={PROJECT}",
        *args,
        stdin=stdin_for() if stdin is None else stdin,
        env={"FAKE_GCLOUD_MISSING": NOTHING_EXISTS, **env},
    )


def assert_no_secret_leaked(result: Result) -> None:
    for call in result.calls:
        for piece in SENSITIVE:
            assert all(piece not in arg for arg in call.argv), call.argv
    for piece in SENSITIVE:
        assert piece not in result.stdout
        assert piece not in result.stderr


def test_setup_secrets_enables_the_apis_the_deploy_needs(cloud: Cloud) -> None:
    result = setup(cloud)

    assert result.returncode == 0, result.output
    (enable,) = result.calls_to("services", "enable")
    assert {
        "secretmanager.googleapis.com",
        "cloudfunctions.googleapis.com",
        "run.googleapis.com",
        "cloudbuild.googleapis.com",
        "artifactregistry.googleapis.com",
    } <= set(enable.argv)
    assert enable.flag("project") == PROJECT


def test_setup_secrets_creates_both_service_accounts(cloud: Cloud) -> None:
    created = setup(cloud).calls_to("iam", "service-accounts", "create")

    assert [call.argv[3] for call in created] == [
        "flight-recorder-fn",
        "flight-recorder-dashboard",
    ]


def test_setup_secrets_creates_each_secret_with_automatic_replication(
    cloud: Cloud,
) -> None:
    created = setup(cloud).calls_to("secrets", "create")

    assert [call.argv[2] for call in created] == list(SECRET_OF.values())
    for call in created:
        assert call.flag("replication-policy") == "automatic"
        assert call.flag("labels") == "app=flight-recorder"


def test_setup_secrets_sends_each_value_on_standard_input(cloud: Cloud) -> None:
    versions = setup(cloud).calls_to("secrets", "versions", "add")

    assert {call.argv[3]: call.stdin for call in versions} == {
        SECRET_OF[name]: value for name, value in VALUES.items()
    }
    for call in versions:
        assert call.flag("data-file") == "-"


def test_setup_secrets_never_shows_a_value(cloud: Cloud) -> None:
    result = setup(cloud)

    assert result.returncode == 0, result.output
    assert_no_secret_leaked(result)


def test_setup_secrets_dry_run_changes_nothing_and_shows_no_value(
    cloud: Cloud,
) -> None:
    result = setup(cloud, "--dry-run")

    assert result.returncode == 0, result.output
    assert not result.changes()
    assert_no_secret_leaked(result)
    printed = [call.argv[:3] for call in result.printed()]
    assert ("secrets", "versions", "add") in printed
    assert "value piped on stdin, not shown" in result.stdout


def test_setup_secrets_lets_each_account_read_only_its_own_secrets(
    cloud: Cloud,
) -> None:
    result = setup(cloud)

    grants = {
        call.argv[2]: call.flag("member")
        for call in result.calls_to("secrets", "add-iam-policy-binding")
    }
    assert grants == {
        "flight-recorder-google-api-key": f"serviceAccount:{FUNCTIONS_ACCOUNT}",
        "flight-recorder-mongodb-uri": f"serviceAccount:{FUNCTIONS_ACCOUNT}",
        "flight-recorder-api-keys": f"serviceAccount:{FUNCTIONS_ACCOUNT}",
        "flight-recorder-dashboard-api-key": f"serviceAccount:{DASHBOARD_ACCOUNT}",
    }
    roles = {call.flag("role") for call in result.calls if call.flag("role")}
    assert roles == {"roles/secretmanager.secretAccessor"}
    assert not result.calls_to("projects", "add-iam-policy-binding")


def test_setup_secrets_run_again_creates_nothing_twice(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, f"--project={PROJECT}", stdin=stdin_for())

    assert result.returncode == 0, result.output
    assert not result.calls_to("iam", "service-accounts", "create")
    assert not result.calls_to("secrets", "create")
    assert len(result.calls_to("secrets", "versions", "add")) == len(VALUES)


def test_setup_secrets_refuses_values_given_as_arguments(cloud: Cloud) -> None:
    result = setup(cloud, VALUES["GOOGLE_API_KEY"])

    assert result.returncode == 2
    assert "Usage: infra/setup_secrets.sh" in result.stderr
    assert "standard input" in result.stderr
    assert not result.calls


@pytest.mark.parametrize("given", [0, 1, 3])
def test_setup_secrets_stops_when_values_run_out(cloud: Cloud, given: int) -> None:
    lines = stdin_for().splitlines(keepends=True)[:given]

    result = setup(cloud, stdin="".join(lines))

    assert result.returncode != 0
    assert "no value for" in result.stderr
    assert not result.changes()
    assert_no_secret_leaked(result)


def test_setup_secrets_reads_a_last_value_without_newline(cloud: Cloud) -> None:
    result = setup(cloud, stdin=stdin_for().rstrip("\n"))

    assert result.returncode == 0, result.output
    stored = result.calls_to("secrets", "versions", "add")[-1].stdin
    assert stored == VALUES["FLIGHT_RECORDER_API_KEY"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MONGODB_URI": "postgres://nope"}, "MONGODB_URI must start with"),
        ({"FLIGHT_RECORDER_API_KEY": "key-unknown"}, "is not one of API_KEYS"),
        ({"API_KEYS": "key-dashboard-7f3a,,other"}, "API_KEYS has an empty entry"),
        ({"GOOGLE_API_KEY": "two words"}, "GOOGLE_API_KEY must not contain"),
    ],
)
def test_setup_secrets_checks_values_before_changing_anything(
    cloud: Cloud, overrides: dict[str, str], message: str
) -> None:
    result = setup(cloud, stdin=stdin_for(**overrides))

    assert result.returncode != 0
    assert message in result.stderr
    assert not result.changes()
    for value in overrides.values():
        assert value not in result.output


def test_setup_secrets_retries_a_grant_iam_does_not_accept_yet(
    cloud: Cloud,
) -> None:
    # IAM may not know a service account for a few seconds after its creation.
    result = setup(cloud, FAKE_GCLOUD_FAIL_ONCE="secrets add-iam-policy-binding")

    assert result.returncode == 0, result.output
    grants = result.calls_to("secrets", "add-iam-policy-binding")
    assert len(grants) == len(SECRET_OF) + 1
    assert "retrying" in result.stderr


def test_setup_secrets_help_shows_usage(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: infra/setup_secrets.sh")
