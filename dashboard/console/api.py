"""The recorder's functions over HTTP: the dashboard's only way to its data.

    DashboardError          base; `message` is fit to show on the page
    ├── NotConfigured       no usable URL for the function (see config)
    ├── Unreachable         refused connection, unknown host, time-out
    ├── NoIdToken           no Google ID token for a function behind IAM
    ├── KeyRefused          401 or 403: the API key (or ID token) was refused
    └── RequestFailed       any other answer that is not a success

Failures of `requests` and of google-auth become these errors in
`Recorder._send`, the one place the network is touched.
"""

from __future__ import annotations

from typing import Any

import requests

from console import config, identity

CONNECT_SECONDS = 3.05
READ_SECONDS = 30.0
# A chat call waits for the model, retries included.
CHAT_READ_SECONDS = 120.0


class DashboardError(Exception):
    """A failure to show on the page instead of a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotConfigured(DashboardError):
    pass


class Unreachable(DashboardError):
    pass


class NoIdToken(DashboardError):
    def __init__(self, function: str, reason: str) -> None:
        super().__init__(
            f"The {function} function needs a Google ID token, and {reason}. "
            "On Cloud Run, give the dashboard's service account the invoker "
            "role; elsewhere, point GOOGLE_APPLICATION_CREDENTIALS at a service "
            f"account key, or set {config.GOOGLE_AUTH}=false for functions "
            "that allow unauthenticated calls."
        )


class KeyRefused(DashboardError):
    def __init__(self, function: str, status: int, google_auth: bool) -> None:
        token = " or its Google ID token" if google_auth else ""
        super().__init__(
            f"The {function} function refused the API key{token} (HTTP "
            f"{status}). Set {config.API_KEY} to a key the functions accept."
        )
        self.status = status


class RequestFailed(DashboardError):
    """The function answered with an error; its code and trace id when given."""

    def __init__(
        self,
        function: str,
        status: int,
        message: str,
        *,
        code: str | None = None,
        trace_id: str | None = None,
    ) -> None:
        super().__init__(f"The {function} function answered {status}: {message}")
        self.status = status
        self.code = code
        self.detail = message
        self.trace_id = trace_id


class Recorder:
    """Calls the functions named in a `config.Connection`."""

    def __init__(
        self,
        connection: config.Connection,
        session: requests.Session | None = None,
        id_tokens: identity.IdTokens | None = None,
    ) -> None:
        self.connection = connection
        self._session = session or requests.Session()
        self._id_tokens = id_tokens or identity.shared

    def metrics(
        self, since: str, until: str, bucket: str | None = None
    ) -> dict[str, Any]:
        params = {"since": since, "until": until}
        if bucket is not None:
            params["bucket"] = bucket
        return self._send("metrics", "GET", params=params).json()

    def traces(
        self, filters: dict[str, str], limit: int, cursor: str | None = None
    ) -> dict[str, Any]:
        params = filters | {"limit": str(limit)}
        if cursor is not None:
            params["cursor"] = cursor
        return self._send("traces", "GET", params=params).json()

    def trace(self, trace_id: str) -> dict[str, Any]:
        return self._send("trace-detail", "GET", params={"trace_id": trace_id}).json()

    def health(self) -> dict[str, Any]:
        return self._send("health", "GET", accept={503}).json()

    def chat(self, body: dict[str, Any]) -> requests.Response:
        """The chat answer; its headers say the cache state and the trace id."""
        return self._send("chat", "POST", json=body, read_seconds=CHAT_READ_SECONDS)

    def replay(self, trace_id: str, overrides: dict[str, Any]) -> dict[str, Any]:
        """Replay one trace now: the stored comparison with the original."""
        body = {"trace_id": trace_id, "overrides": overrides}
        return self._send(
            "replay", "POST", json=body, read_seconds=CHAT_READ_SECONDS
        ).json()

    def replays(self, trace_id: str) -> list[dict[str, Any]]:
        """The earlier replays of a trace, newest first."""
        answer = self._send("replay", "GET", params={"trace_id": trace_id})
        return answer.json()["replays"]

    def export(self, filters: dict[str, str], form: str = "jsonl") -> bytes:
        """The matching traces as JSON Lines (`jsonl`) or OTLP JSON (`otlp`)."""
        params = filters | {"format": form}
        return self._send("export", "GET", params=params, lines=True).content

    def _send(
        self,
        function: str,
        method: str,
        *,
        accept: frozenset[int] | set[int] = frozenset(),
        read_seconds: float = READ_SECONDS,
        lines: bool = False,
        **kwargs: Any,
    ) -> requests.Response:
        try:
            url = self.connection.url(function)
        except config.NotConfigured as exc:
            raise NotConfigured(str(exc)) from None
        headers = self._headers(function, url)

        try:
            response = self._session.request(
                method,
                url,
                headers=headers,
                timeout=(CONNECT_SECONDS, read_seconds),
                **kwargs,
            )
        except requests.Timeout:
            raise Unreachable(
                f"The {function} function at {url} did not answer in time."
            ) from None
        except requests.RequestException as exc:
            raise Unreachable(
                f"Cannot reach the {function} function at {url} "
                f"({type(exc).__name__}). Is it running, and is "
                f"{config.url_variable(function)} or {config.BASE_URL} right?"
            ) from None

        if response.status_code in (401, 403):
            raise KeyRefused(
                function, response.status_code, self.connection.google_auth
            )
        if not response.ok and response.status_code not in accept:
            raise _failure(function, response)
        if not lines and not _is_json(response):
            raise RequestFailed(
                function, response.status_code, f"not a JSON answer from {url}"
            )
        return response

    def _headers(self, function: str, url: str) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.connection.api_key is not None:
            headers["X-API-Key"] = self.connection.api_key
        if self.connection.google_auth:
            try:
                token = self._id_tokens.token(identity.audience(url))
            except identity.TokenUnavailable as exc:
                raise NoIdToken(function, str(exc)) from None
            # Cloud Run checks and strips this header, leaving Authorization
            # to the function.
            headers["X-Serverless-Authorization"] = f"Bearer {token}"
        return headers


def _is_json(response: requests.Response) -> bool:
    try:
        response.json()
    except ValueError:
        return False
    return True


def _failure(function: str, response: requests.Response) -> RequestFailed:
    """The error a function answered, read from its JSON error body if any."""
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    message = error.get("message") or response.reason or "no reason given"
    return RequestFailed(
        function,
        response.status_code,
        str(message),
        code=error.get("code"),
        trace_id=error.get("trace_id"),
    )
