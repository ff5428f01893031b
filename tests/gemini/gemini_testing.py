"""Constants the Gemini test modules share (imported, unlike conftest)."""

from __future__ import annotations

# The key the stand-in accepts; tests assert it never leaks into an answer.
TEST_KEY = "test-key-7f3a9c1e-do-not-leak"
