"""infra/deploy_dashboard.sh: the Cloud Run service for the Streamlit dashboard."""

from __future__ import annotations

import pytest
from fake_gcloud import PROJECT, REGION, TARGET, Call, Cloud, Result

SCRIPT = "deploy_dashboard.sh"
URLS = (
    "FLIGHT_RECORDER_CHAT_URL=https://chat-a1b2c3-ew.a.run.app\n"
    "FLIGHT_RECORDER_TRACES_URL=https://traces-a1b2c3-ew.a.run.app\n"
    "FLIGHT_RECORDER_TRACE_DETAIL_URL=https://trace-detail-a1b2c3-ew.a.run.app\n"
    "FLIGHT_RECORDER_HEALTH_URL=https://health-a1b2c3-ew.a.run.app\n"
)


def deploy(cloud: Cloud, *args: str, env: dict[str, str] | None = None) -> Result:
    """Run the script with the URL file deploy_functions.sh writes; must succeed."""
    cloud.write("infra/.function-urls.env", URLS)
    result = cloud.run(SCRIPT, *TARGET, *args, env=env)
    assert result.returncode == 0, result.output
    return result


def the_deploy(result: Result) -> Call:
    (call,) = result.calls_to("run", "deploy")
    return call


def env_vars(call: Call) -> dict[str, str]:
    value = call.flag("set-env-vars")
    assert value is not None
    return dict(pair.split("=", 1) for pair in value.split(","))


def test_deploy_dashboard_builds_the_dashboard_folder(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud))

    assert call.argv[2] == "flight-recorder-dashboard"
    assert call.flag("source") == "dashboard"
    assert call.flag("project") == PROJECT
    assert call.flag("region") == REGION
    assert call.flag("service-account") == (
        f"flight-recorder-dashboard@{PROJECT}.iam.gserviceaccount.com"
    )


def test_deploy_dashboard_starts_streamlit_without_a_dockerfile(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud))

    build = call.flag("set-build-env-vars")
    assert build is not None
    assert "GOOGLE_ENTRYPOINT=streamlit run app.py" in build.split(",")
    settings = env_vars(call)
    assert settings["STREAMLIT_SERVER_PORT"] == call.flag("port") == "8080"
    assert settings["STREAMLIT_SERVER_HEADLESS"] == "true"


def test_deploy_dashboard_keeps_websocket_sessions_alive(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud))

    assert call.has("--session-affinity")
    assert call.flag("timeout") == "3600"
    assert call.flag("min-instances") == "0"
    assert call.flag("max-instances") == "2"


def test_deploy_dashboard_passes_the_function_urls(cloud: Cloud) -> None:
    settings = env_vars(the_deploy(deploy(cloud)))

    expected = dict(line.split("=", 1) for line in URLS.splitlines())
    assert expected.items() <= settings.items()
    assert "FLIGHT_RECORDER_BASE_URL" not in settings


def test_deploy_dashboard_takes_one_base_url_instead(cloud: Cloud) -> None:
    result = cloud.run(
        SCRIPT, *TARGET, "--base-url", "https://europe-west1-demo.cloudfunctions.net"
    )

    assert result.returncode == 0, result.output
    settings = env_vars(the_deploy(result))
    assert settings["FLIGHT_RECORDER_BASE_URL"] == (
        "https://europe-west1-demo.cloudfunctions.net"
    )
    assert not any(name.endswith("_CHAT_URL") for name in settings)


def test_deploy_dashboard_reads_another_urls_file(cloud: Cloud) -> None:
    other = cloud.write("elsewhere/urls.env", "# staging\n\n" + URLS)

    result = cloud.run(SCRIPT, *TARGET, f"--urls-file={other}")

    assert result.returncode == 0, result.output
    assert env_vars(the_deploy(result))["FLIGHT_RECORDER_CHAT_URL"].startswith(
        "https://chat-"
    )


def test_deploy_dashboard_refers_to_its_api_key_by_name(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud))

    assert call.flag("set-secrets") == (
        "FLIGHT_RECORDER_API_KEY=flight-recorder-dashboard-api-key:latest"
    )
    assert "FLIGHT_RECORDER_API_KEY" not in env_vars(call)


def test_deploy_dashboard_requires_sign_in_by_default(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud))

    assert call.has("--no-allow-unauthenticated")
    assert not call.has("--allow-unauthenticated")


def test_deploy_dashboard_public_opens_it_to_everyone(cloud: Cloud) -> None:
    call = the_deploy(deploy(cloud, "--public"))

    assert call.has("--allow-unauthenticated")
    assert not call.has("--no-allow-unauthenticated")


def test_deploy_dashboard_prints_its_url(cloud: Cloud) -> None:
    result = deploy(cloud)

    assert result.stdout == (
        "FLIGHT_RECORDER_DASHBOARD_URL="
        "https://flight-recorder-dashboard-a1b2c3-ew.a.run.app\n"
    )


def test_deploy_dashboard_dry_run_prints_the_commands_it_would_run(
    cloud: Cloud,
) -> None:
    real = deploy(cloud)

    dry = deploy(cloud, "--dry-run")

    assert [call.argv for call in dry.printed() if call.changes_something] == [
        call.argv for call in real.changes()
    ]
    assert not dry.changes()


def test_deploy_dashboard_without_urls_says_what_to_run(cloud: Cloud) -> None:
    result = cloud.run(SCRIPT, *TARGET)

    assert result.returncode != 0
    assert "run infra/deploy_functions.sh or pass --base-url" in result.stderr
    assert not result.changes()


@pytest.mark.parametrize(
    "line",
    [
        "rm -rf /",
        "FLIGHT_RECORDER_CHAT_URL=http://plain-http.example.com",
        "FLIGHT_RECORDER_CHAT_URL=https://a.example.com,EXTRA=1",
        "OTHER_SETTING=https://example.com",
    ],
)
def test_deploy_dashboard_rejects_a_malformed_urls_file(
    cloud: Cloud, line: str
) -> None:
    cloud.write("infra/.function-urls.env", URLS + line + "\n")

    result = cloud.run(SCRIPT, *TARGET)

    assert result.returncode != 0
    assert ".function-urls.env:5" in result.stderr
    assert not result.changes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--urls-file", "a.env", "--base-url", "https://x.example"), "not both"),
        (("--base-url",), "--base-url needs a value"),
        (("--verbose",), "unknown argument: --verbose"),
    ],
)
def test_deploy_dashboard_bad_arguments_print_usage(
    cloud: Cloud, args: tuple[str, ...], message: str
) -> None:
    result = cloud.run(SCRIPT, *TARGET, *args)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Usage: infra/deploy_dashboard.sh" in result.stderr
    assert not result.calls


def test_deploy_dashboard_needs_the_dashboard_source(cloud: Cloud) -> None:
    (cloud.repo / "dashboard" / "app.py").unlink()

    result = cloud.run(SCRIPT, *TARGET, "--base-url=https://x.example")

    assert result.returncode != 0
    assert "dashboard/app.py" in result.stderr
    assert not result.changes()


def test_deploy_dashboard_refuses_to_upload_local_streamlit_secrets(
    cloud: Cloud,
) -> None:
    cloud.write("dashboard/.streamlit/secrets.toml", 'FLIGHT_RECORDER_API_KEY = "k"\n')

    refused = cloud.run(SCRIPT, *TARGET, "--base-url=https://x.example")
    cloud.write("dashboard/.gcloudignore", ".streamlit/secrets.toml\n")
    allowed = cloud.run(SCRIPT, *TARGET, "--base-url=https://x.example")

    assert refused.returncode != 0
    assert "dashboard/.gcloudignore" in refused.stderr
    assert not refused.changes()
    assert allowed.returncode == 0, allowed.output
