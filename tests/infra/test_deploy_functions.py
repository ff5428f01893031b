"""infra/deploy_functions.sh: what it deploys, how, and what it refuses."""

from __future__ import annotations

import pytest
from fake_gcloud import (
    ENTRY_POINTS,
    FUNCTION_NAMES,
    PROJECT,
    REGION,
    TARGET,
    Cloud,
    Result,
)

SCRIPT = "deploy_functions.sh"
FUNCTIONS_ACCOUNT = f"flight-recorder-fn@{PROJECT}.iam.gserviceaccount.com"
DASHBOARD_ACCOUNT = f"flight-recorder-dashboard@{PROJECT}.iam.gserviceaccount.com"


def deploy(cloud: Cloud, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the script on the test project and region; it must succeed."""
    result = cloud.run(SCRIPT, *TARGET, *args, env=env)
    assert result.returncode == 0, result.output
    return result


def env_vars(value: str | None) -> dict[str, str]:
    assert value is not None
    return dict(pair.split("=", 1) for pair in value.split(","))


def test_deploy_functions_deploys_each_function_with_its_entry_point(
    cloud: Cloud,
) -> None:
    deploys = deploy(cloud).calls_to("functions", "deploy")

    assert [call.argv[2] for call in deploys] == list(FUNCTION_NAMES)
    assert [call.flag("entry-point") for call in deploys] == list(ENTRY_POINTS)


def test_deploy_functions_builds_gen2_python_from_the_functions_folder(
    cloud: Cloud,
) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.has("--gen2")
        assert call.has("--trigger-http")
        assert call.flag("source") == "functions"
        assert call.flag("runtime") == "python312"
        assert call.flag("project") == PROJECT
        assert call.flag("region") == REGION
        assert call.flag("service-account") == FUNCTIONS_ACCOUNT
        assert call.has("--quiet")


def test_deploy_functions_sizes_instances_for_the_workload(cloud: Cloud) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.flag("memory") == "512Mi"
        assert call.flag("cpu") == "1"
        assert call.flag("concurrency") == "8"
        assert call.flag("timeout") == "120s"
        assert call.flag("min-instances") == "0"
        assert call.flag("max-instances") == "5"


def test_deploy_functions_gives_one_thread_per_concurrent_request(
    cloud: Cloud,
) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        settings = env_vars(call.flag("set-env-vars"))
        assert settings["THREADS"] == call.flag("concurrency")
        assert settings["WORKERS"] == "1"
        assert settings["MONGODB_MAX_POOL_SIZE"] == settings["THREADS"]


def test_deploy_functions_defaults_to_production_settings(cloud: Cloud) -> None:
    call = deploy(cloud).calls_to("functions", "deploy")[0]

    settings = env_vars(call.flag("set-env-vars"))
    assert settings["API_ENV"] == "production"
    assert settings["LOG_LEVEL"] == "INFO"
    assert settings["USE_MOCK_LLM"] == "False"
    assert "GEMINI_MODEL_NAME" not in settings


def test_deploy_functions_passes_settings_from_the_environment(cloud: Cloud) -> None:
    chosen = {
        "GEMINI_MODEL_NAME": "gemini-2.5-flash",
        "MONGODB_DB_NAME": "recorder",
        "MAX_RPM": "10",
        "MAX_RPD": "250",
        "LOG_LEVEL": "DEBUG",
    }

    call = deploy(cloud, env=chosen).calls_to("functions", "deploy")[0]

    settings = env_vars(call.flag("set-env-vars"))
    assert chosen.items() <= settings.items()


def test_deploy_functions_rejects_a_setting_with_a_comma(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, *TARGET, env={"MONGODB_DB_NAME": "a,b"})

    assert result.returncode != 0
    assert "MONGODB_DB_NAME must not contain a comma" in result.stderr
    assert not result.changes()


def test_deploy_functions_refers_to_secrets_by_name_only(cloud: Cloud) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.flag("set-secrets") == (
            "GOOGLE_API_KEY=flight-recorder-google-api-key:latest,"
            "MONGODB_URI=flight-recorder-mongodb-uri:latest,"
            "API_KEYS=flight-recorder-api-keys:latest"
        )


def test_deploy_functions_requires_authentication_by_default(cloud: Cloud) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.has("--no-allow-unauthenticated")
        assert not call.has("--allow-unauthenticated")


def test_deploy_functions_public_allows_unauthenticated_calls(cloud: Cloud) -> None:
    for call in deploy(cloud, "--public").calls_to("functions", "deploy"):
        assert call.has("--allow-unauthenticated")
        assert not call.has("--no-allow-unauthenticated")


def test_deploy_functions_uses_the_default_network_unless_told(cloud: Cloud) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.flag("vpc-connector") is None
        assert call.flag("egress-settings") is None


def test_deploy_functions_vpc_connector_routes_all_egress_through_it(
    cloud: Cloud,
) -> None:
    deploys = deploy(cloud, "--vpc-connector", "recorder-egress").calls_to(
        "functions", "deploy"
    )

    for call in deploys:
        assert call.flag("vpc-connector") == "recorder-egress"
        assert call.flag("egress-settings") == "all"


def test_deploy_functions_lets_the_dashboard_account_invoke(cloud: Cloud) -> None:
    bindings = deploy(cloud).calls_to("functions", "add-invoker-policy-binding")

    assert [call.argv[2] for call in bindings] == list(FUNCTION_NAMES)
    for call in bindings:
        assert call.flag("member") == f"serviceAccount:{DASHBOARD_ACCOUNT}"


def test_deploy_functions_labels_what_it_deploys(cloud: Cloud) -> None:
    for call in deploy(cloud).calls_to("functions", "deploy"):
        assert call.flag("update-labels") == "app=flight-recorder"


def test_deploy_functions_writes_the_urls_for_the_dashboard(cloud: Cloud) -> None:
    result = deploy(cloud)

    urls = (cloud.repo / "infra" / ".function-urls.env").read_text()
    assert urls.splitlines() == [
        "FLIGHT_RECORDER_CHAT_URL=https://chat-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_TRACES_URL=https://traces-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_TRACE_DETAIL_URL=https://trace-detail-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_HEALTH_URL=https://health-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_METRICS_URL=https://metrics-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_REPLAY_URL=https://replay-a1b2c3-ew.a.run.app",
        "FLIGHT_RECORDER_EXPORT_URL=https://export-a1b2c3-ew.a.run.app",
    ]
    assert result.stdout == urls
    lookups = result.calls_to("functions", "describe")
    assert all(call.flag("format") == "value(serviceConfig.uri)" for call in lookups)


def test_deploy_functions_dry_run_prints_the_commands_it_would_run(
    cloud: Cloud,
) -> None:
    real = deploy(cloud)
    (cloud.repo / "infra" / ".function-urls.env").unlink()

    dry = deploy(cloud, "--dry-run")

    assert [call.argv for call in dry.printed() if call.changes_something] == [
        call.argv for call in real.changes()
    ]
    assert not dry.changes()
    assert not (cloud.repo / "infra" / ".function-urls.env").exists()


def test_deploy_functions_dry_run_from_the_environment(cloud: Cloud) -> None:
    result = deploy(cloud, env={"DRY_RUN": "1"})

    assert len(result.printed()) > len(FUNCTION_NAMES)
    assert not result.changes()


@pytest.mark.parametrize(
    ("args", "env", "project", "region"),
    [
        (
            ("--project=flag-project", "--region", "us-east1"),
            {"GOOGLE_CLOUD_PROJECT": "env-project", "GOOGLE_CLOUD_REGION": "us-west1"},
            "flag-project",
            "us-east1",
        ),
        (
            (),
            {"GOOGLE_CLOUD_PROJECT": "env-project", "GOOGLE_CLOUD_REGION": "us-west1"},
            "env-project",
            "us-west1",
        ),
        (
            (),
            {
                "FAKE_GCLOUD_CONFIG_PROJECT": "config-project",
                "FAKE_GCLOUD_CONFIG_FUNCTIONS_REGION": "asia-east1",
            },
            "config-project",
            "asia-east1",
        ),
    ],
    ids=["flags", "environment", "gcloud-config"],
)
def test_deploy_functions_resolves_project_and_region(
    cloud: Cloud,
    args: tuple[str, ...],
    env: dict[str, str],
    project: str,
    region: str,
) -> None:
    result = cloud.run(SCRIPT, *args, "--dry-run", env=env)

    assert result.returncode == 0, result.output
    first = result.printed()[0]
    assert (first.flag("project"), first.flag("region")) == (project, region)


def test_deploy_functions_without_a_project_says_how_to_give_one(
    cloud: Cloud,
) -> None:
    result = cloud.run(SCRIPT, f"--region={REGION}")

    assert result.returncode != 0
    assert "no project" in result.stderr
    assert "--project" in result.stderr
    assert not result.changes()


@pytest.mark.parametrize(
    "args",
    [
        ("--frobnicate",),
        ("--project",),
        ("--region", "--public"),
        ("positional",),
    ],
)
def test_deploy_functions_bad_arguments_print_usage(
    cloud: Cloud, args: tuple[str, ...]
) -> None:
    result = cloud.run(SCRIPT, *args)

    assert result.returncode == 2
    assert "Usage: infra/deploy_functions.sh" in result.stderr
    assert not result.calls


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--project=Not_A_Project", "not a Google Cloud project id"),
        ("--region=moon", "not a Google Cloud region"),
    ],
)
def test_deploy_functions_rejects_malformed_names(
    cloud: Cloud, flag: str, message: str
) -> None:
    result = cloud.run(SCRIPT, *TARGET, flag)

    assert result.returncode != 0
    assert message in result.stderr
    assert not result.changes()


def test_deploy_functions_refuses_more_connections_than_atlas_allows(
    cloud: Cloud,
) -> None:
    result = cloud.run(SCRIPT, *TARGET, env={"FUNCTIONS_MAX_INSTANCES": "20"})

    assert result.returncode != 0
    assert "1400 connections" in result.stderr
    assert "Atlas limit of 500" in result.stderr
    assert not result.changes()


def test_deploy_functions_allows_more_instances_on_a_larger_tier(
    cloud: Cloud,
) -> None:
    env = {"FUNCTIONS_MAX_INSTANCES": "20", "ATLAS_CONNECTION_LIMIT": "1500"}

    deploys = deploy(cloud, env=env).calls_to("functions", "deploy")

    assert {call.flag("max-instances") for call in deploys} == {"20"}


def test_deploy_functions_refuses_a_missing_entry_point(cloud: Cloud) -> None:
    cloud.write("functions/main.py", "def chat(request):\n    return 'ok'\n")

    result = cloud.run(SCRIPT, *TARGET)

    assert result.returncode != 0
    assert "no entry point named traces" in result.stderr
    assert not result.changes()


def test_deploy_functions_refuses_to_upload_a_local_env_file(cloud: Cloud) -> None:
    cloud.write("functions/.env", "GOOGLE_API_KEY=real-key\n")

    refused = cloud.run(SCRIPT, *TARGET)
    cloud.write("functions/.gcloudignore", ".env\n__pycache__/\n")
    allowed = cloud.run(SCRIPT, *TARGET)

    assert refused.returncode != 0
    assert ".gcloudignore" in refused.stderr
    assert allowed.returncode == 0, allowed.output


def test_deploy_functions_needs_the_service_accounts(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, *TARGET, env={"FAKE_GCLOUD_MISSING": FUNCTIONS_ACCOUNT})

    assert result.returncode != 0
    assert "run infra/setup_secrets.sh first" in result.stderr
    assert not result.changes()


def test_deploy_functions_stops_at_the_first_failed_deploy(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, *TARGET, env={"FAKE_GCLOUD_FAIL": "functions deploy"})

    assert result.returncode != 0
    assert len(result.calls_to("functions", "deploy")) == 1
    assert not (cloud.repo / "infra" / ".function-urls.env").exists()


def test_deploy_functions_help_shows_usage(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, "--help")

    assert result.returncode == 0
    assert result.stdout.startswith("Usage: infra/deploy_functions.sh")
    assert not result.calls
