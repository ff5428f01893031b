"""Model providers behind one interface; `get` builds the configured one once."""

from __future__ import annotations

import functools

from flight_recorder import settings
from flight_recorder.providers.base import (
    Generation,
    GenerationRequest,
    Provider,
    Usage,
)

__all__ = ["Generation", "GenerationRequest", "Provider", "Usage", "get", "use"]

_override: Provider | None = None


def use(provider: Provider | None) -> None:
    """Install a provider for this process (tests), or drop it with None."""
    global _override
    _override = provider
    get.cache_clear()


@functools.cache
def get() -> Provider:
    """The process-wide provider. Gemini's SDK is imported only when chosen."""
    if _override is not None:
        return _override
    config = settings.get()
    if config.USE_MOCK_LLM:
        from flight_recorder.providers.mock import MockProvider

        return MockProvider()

    from flight_recorder.providers.gemini import GeminiProvider

    return GeminiProvider.from_settings(config)
