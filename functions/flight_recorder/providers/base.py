"""The provider interface, shaped after the fields Gemini really returns."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, Field


class Usage(BaseModel):
    """Token counts of one call; any may be unknown.

    `output_tokens` includes thought tokens, which are also kept apart in
    `thought_tokens`; `cached_tokens` is the part of the input served from the
    provider's context cache.
    """

    input_tokens: int | None = None
    output_tokens: int | None = None
    thought_tokens: int | None = None
    cached_tokens: int | None = None
    total_tokens: int | None = None


class GenerationRequest(BaseModel):
    """Everything sent to the provider; the cache key is derived from it."""

    model: str
    message: str
    system: str | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None


class SafetyRating(BaseModel):
    category: str
    probability: str | None = None
    blocked: bool | None = None


class Generation(BaseModel):
    """What the provider answered."""

    text: str
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    model_version: str | None = None
    response_id: str | None = None
    safety_ratings: list[SafetyRating] = Field(default_factory=list)
    block_reason: str | None = None
    candidate_count: int | None = Field(
        None, description="Candidates the provider returned; None when not told."
    )

    @property
    def outcome(self) -> Literal["ok", "blocked", "empty"]:
        """`ok`, or why there is no usable text: `blocked` or `empty`."""
        if self.text:
            return "ok"
        if self.block_reason or self.finish_reason in BLOCKING_FINISH_REASONS:
            return "blocked"
        # No candidate at all, and no reason given: the answer was withheld.
        if self.candidate_count == 0:
            return "blocked"
        return "empty"


# Finish reasons that mean the answer was withheld by a policy, as named by the
# Gemini API. MAX_TOKENS and STOP are not among them: an empty reply with those
# means the output budget was spent (often on thinking), not a block.
BLOCKING_FINISH_REASONS = frozenset(
    {
        "SAFETY",
        "RECITATION",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "LANGUAGE",
    }
)


class Provider(Protocol):
    """A model provider: one blocking call per request."""

    name: str

    def generate(self, request: GenerationRequest) -> Generation:
        """Answer the request or raise a `ProviderError`."""
        ...
