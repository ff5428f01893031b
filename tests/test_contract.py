"""The functions against their OpenAPI document.

Schemathesis generates requests from the document, valid and invalid, and
checks that every answer is documented: status, headers, content type and
body. The committed document must also be the one the code builds.
"""

from __future__ import annotations

import hypothesis
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from flight_recorder import devserver, openapi
from recorder_testing import REPO

DOCUMENT = REPO / "functions" / "openapi.json"
KEY = "contract-test-key-0123456789"

schema = schemathesis.openapi.from_path(DOCUMENT)
# Every function under one WSGI app, as the deployed base URL serves them;
# each request reads the settings and store the test installs.
schema.app = devserver.gateway(devserver.function_apps())
schema.config.update(base_url="http://localhost")


def test_openapi_document_is_the_one_the_code_builds():
    assert DOCUMENT.read_text() == openapi.render(), (
        "regenerate it: python -m flight_recorder.openapi > functions/openapi.json"
    )


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_openapi_every_answer_is_documented(case, memory_store, settings_env):
    settings_env(API_KEYS=KEY)

    # Every check but one: schema-valid data may still be refused, because some
    # rules are beyond a schema (a cursor must be one the API issued, since must
    # precede until). Refusals must then be documented 4xx answers, which the
    # other checks enforce.
    response = case.call_and_validate(
        headers={"X-API-Key": KEY}, excluded_checks=[positive_data_acceptance]
    )

    assert response.status_code < 500
