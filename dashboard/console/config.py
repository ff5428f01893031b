"""Where the dashboard finds the recorder's functions, and the key it sends.

Each function's URL is, in order of preference:

1. its own variable, `FLIGHT_RECORDER_<NAME>_URL` (for example
   `FLIGHT_RECORDER_TRACE_DETAIL_URL`), needed locally where each function
   listens on its own port;
2. `FLIGHT_RECORDER_BASE_URL` followed by `/<name>`, the way deployed Cloud
   Functions share `https://REGION-PROJECT.cloudfunctions.net/<name>`.

Every variable is read from the environment first, then from Streamlit's
secrets (`.streamlit/secrets.toml`, top-level keys). `FLIGHT_RECORDER_API_KEY`,
when set, is sent with every call as the `X-API-Key` header.

Functions deployed behind Cloud Run IAM also want a Google ID token.
`FLIGHT_RECORDER_GOOGLE_AUTH` (true or false) says whether to send one; unset,
it is on when the dashboard itself runs on Cloud Run (`K_SERVICE` is set) and
off elsewhere. See `console/identity.py`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

FUNCTIONS = (
    "chat",
    "traces",
    "trace-detail",
    "health",
    "metrics",
    "replay",
    "export",
)
BASE_URL = "FLIGHT_RECORDER_BASE_URL"
API_KEY = "FLIGHT_RECORDER_API_KEY"
GOOGLE_AUTH = "FLIGHT_RECORDER_GOOGLE_AUTH"
# Set by Cloud Run in every service's environment.
CLOUD_RUN_SERVICE = "K_SERVICE"
TRUE_WORDS = ("true", "1", "yes", "on")
FALSE_WORDS = ("false", "0", "no", "off")


def url_variable(function: str) -> str:
    """The variable holding one function's own URL."""
    return f"FLIGHT_RECORDER_{function.upper().replace('-', '_')}_URL"


VARIABLES = (
    BASE_URL,
    API_KEY,
    GOOGLE_AUTH,
    *(url_variable(name) for name in FUNCTIONS),
)


class NotConfigured(Exception):
    """No usable URL for a function; the message names the variables to set."""


@dataclasses.dataclass(frozen=True)
class Connection:
    """The resolved URL of each function (or why there is none), the key, and
    whether calls carry a Google ID token."""

    urls: tuple[tuple[str, str], ...]
    problems: tuple[tuple[str, str], ...]
    api_key: str | None = dataclasses.field(default=None, repr=False)
    google_auth: bool = False

    def url(self, function: str) -> str:
        """The URL of `function`, or `NotConfigured` saying what to set."""
        found = dict(self.urls).get(function)
        if found is None:
            raise NotConfigured(dict(self.problems)[function])
        return found

    def status(self) -> dict[str, str]:
        """Each function's URL, or the problem in its place, for display."""
        return dict(self.urls) | dict(self.problems)


def resolve(values: Mapping[str, str]) -> Connection:
    """The connection described by `values` (variable name to value)."""
    base = _clean(values.get(BASE_URL))
    google_auth, flag_problem = _google_auth(values)
    urls, problems = [], []
    for function in FUNCTIONS:
        if flag_problem is not None:
            problems.append((function, flag_problem))
            continue
        variable = url_variable(function)
        own = _clean(values.get(variable))
        if own is not None:
            url, source = own, variable
        elif base is not None:
            url, source = f"{base.rstrip('/')}/{function}", BASE_URL
        else:
            problems.append(
                (
                    function,
                    f"set {variable} or {BASE_URL} to reach the {function} function",
                )
            )
            continue
        if not _is_http(url):
            problems.append((function, f"{source} is not an http(s) URL: {url!r}"))
        else:
            urls.append((function, url))
    key = _clean(values.get(API_KEY))
    return Connection(tuple(urls), tuple(problems), key, google_auth)


def _google_auth(values: Mapping[str, str]) -> tuple[bool, str | None]:
    """Whether to send ID tokens, or the problem with the setting."""
    flag = _clean(values.get(GOOGLE_AUTH))
    if flag is None:
        return _clean(values.get(CLOUD_RUN_SERVICE)) is not None, None
    if flag.lower() in TRUE_WORDS:
        return True, None
    if flag.lower() in FALSE_WORDS:
        return False, None
    return False, f"{GOOGLE_AUTH} must be true or false, not {flag!r}"


def from_environment(secrets: Mapping[str, object] | None = None) -> Connection:
    """The connection from the environment, falling back to `secrets`."""
    values: dict[str, str] = {}
    for name in VARIABLES:
        if name in os.environ:
            values[name] = os.environ[name]
        elif secrets is not None and isinstance(secrets.get(name), str):
            values[name] = str(secrets[name])
    if CLOUD_RUN_SERVICE in os.environ:
        values[CLOUD_RUN_SERVICE] = os.environ[CLOUD_RUN_SERVICE]
    return resolve(values)


def _clean(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    return value.strip()


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
