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

__all__ = ["Generation", "GenerationRequest", "Provider", "Usage", "get"]


@functools.cache
def get() -> Provider:
    """The process-wide provider. Gemini's SDK is imported only when chosen."""
    config = settings.get()
    if config.USE_MOCK_LLM:
        from flight_recorder.providers.mock import MockProvider

        return MockProvider()

    from flight_recorder.providers.gemini import GeminiProvider

    return GeminiProvider.from_settings(config)
