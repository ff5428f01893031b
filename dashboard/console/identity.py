"""Google ID tokens for functions deployed behind Cloud Run IAM.

A function deployed without `--allow-unauthenticated` only answers callers
holding the invoker role, who prove it with an ID token whose audience is the
function's origin (`https://host`). The dashboard sends the token in
`X-Serverless-Authorization`, which Cloud Run checks and then removes, so the
API key keeps its own header. On Cloud Run the token comes from the metadata
server for the service's account; elsewhere, from the application default
credentials of a service account.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

# Google ID tokens live one hour; one is reused for less, so it never expires
# in flight.
REUSE_SECONDS = 50 * 60

Fetcher = Callable[[str], str]


class TokenUnavailable(Exception):
    """No ID token could be had; the message says why, without secrets."""


def audience(url: str) -> str:
    """The audience a function's token is for: its URL's scheme and host."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def fetch_from_google(audience: str) -> str:
    """A fresh ID token for `audience` from google-auth's default sources."""
    import google.auth.exceptions
    import google.auth.transport.requests
    import google.oauth2.id_token

    try:
        return google.oauth2.id_token.fetch_id_token(
            google.auth.transport.requests.Request(), audience
        )
    except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        raise TokenUnavailable(
            f"could not get a Google ID token for {audience} "
            f"({type(exc).__name__}: {exc})"
        ) from None


class IdTokens:
    """ID tokens by audience, each reused for `reuse_seconds` (default 50 min).

    `fetch` gets a new token for an audience; `clock` reads seconds
    (monotonic). Both are seams for tests.
    """

    def __init__(
        self,
        fetch: Fetcher = fetch_from_google,
        *,
        clock: Callable[[], float] = time.monotonic,
        reuse_seconds: float = REUSE_SECONDS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._reuse_seconds = reuse_seconds
        self._tokens: dict[str, tuple[str, float]] = {}
        # Streamlit runs each browser session's script in its own thread.
        self._lock = threading.Lock()

    def token(self, audience: str) -> str:
        """A token for `audience`: the kept one while young enough, else new."""
        with self._lock:
            kept = self._tokens.get(audience)
            now = self._clock()
            if kept is not None and now < kept[1]:
                return kept[0]
            fresh = self._fetch(audience)
            self._tokens[audience] = (fresh, now + self._reuse_seconds)
            return fresh


# One store of tokens for the whole dashboard process.
shared = IdTokens()
