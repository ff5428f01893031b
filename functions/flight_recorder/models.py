"""Typed shapes of what the functions accept, answer and store."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from flight_recorder.providers.base import SafetyRating, Usage

# Printable identifiers: no control characters, no leading or trailing space.
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
ModelName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$"),
]
Tag = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$"),
]
MetadataKey = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
MetadataValue = (
    Annotated[str, StringConstraints(max_length=1024)] | int | float | bool | None
)


def _integral_float(value: object) -> object:
    """JSON has one number type: 512.0 is the integer 512, but 0.5 is not."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# An integer, as JSON Schema counts them; strings and booleans are still refused.
WholeNumber = Annotated[int, BeforeValidator(_integral_float)]


def _iso_instant(value: object) -> object:
    """Only ISO 8601 text: pydantic alone would also read "0.5" as a Unix time."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("use an ISO 8601 instant, such as 2026-12-03T09:30:00Z")
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "use an ISO 8601 instant, such as 2026-12-03T09:30:00Z"
        ) from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=dt.UTC)
    try:
        utc = instant.astimezone(dt.UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError("use an instant from 1970 to 9998")
    return utc


# Instants a query may name: from the Unix epoch to well before datetime's own
# limit, so a range can be widened or shifted without overflowing.
EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)

# A point in time given as ISO 8601 text; without an offset it is read as UTC.
Instant = Annotated[dt.datetime, BeforeValidator(_iso_instant)]


class TimeRange(BaseModel):
    """An optional `since` (inclusive) and `until` (exclusive)."""

    since: Instant | None = None
    until: Instant | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be earlier than until")
        return self


Status = Literal["ok", "blocked", "empty", "error", "rate_limited"]


class ChatRequest(BaseModel):
    """The body of a chat call. Types are strict: `"1"` is not a number."""

    model_config = ConfigDict(extra="forbid", strict=True)

    # Some non-space text; the length limit is a setting, checked by chat (413).
    message: Annotated[str, StringConstraints(pattern=r"\S")]
    system: str | None = None
    model: ModelName | None = None
    temperature: float | None = Field(None, ge=0.0, le=2.0, allow_inf_nan=False)
    max_output_tokens: WholeNumber | None = Field(None, ge=1, le=65536)
    session_id: Identifier | None = None
    user_id: Identifier | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)
    metadata: dict[MetadataKey, MetadataValue] = Field(
        default_factory=dict, max_length=32
    )
    bypass_cache: bool = False
    playback: bool = Field(
        False,
        description="Answer with the recorded reply of an earlier identical "
        "request, without calling the provider; 404 when none was recorded.",
    )


class RecordedText(BaseModel):
    """A prompt or reply as stored: cut at the trace limit, with its full size."""

    text: str
    chars: int
    sha256: str
    truncated: bool
    preview: str


class RecordedRequest(BaseModel):
    message: RecordedText
    system: RecordedText | None = None
    temperature: float | None = None
    max_output_tokens: int | None = None
    bypass_cache: bool = False


class RecordedResponse(BaseModel):
    reply: RecordedText
    finish_reason: str | None = None
    model_version: str | None = None
    response_id: str | None = None
    safety_ratings: list[SafetyRating] = Field(default_factory=list)
    block_reason: str | None = None
    candidate_count: int | None = None


class RecordedError(BaseModel):
    code: str
    message: str
    status: int
    provider_status: int | None = None
    provider_message: str | None = None


class Trace(BaseModel):
    """One recorded call, stored as one document (`id` is its `_id`)."""

    id: str
    created_at: dt.datetime
    function: str = "chat"
    status: Status
    provider: str
    model: str
    cached: bool = False
    cache_key: str | None = None
    cache_source_trace_id: str | None = None
    latency_ms: float
    provider_latency_ms: float | None = None
    request: RecordedRequest
    response: RecordedResponse | None = None
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float | None = Field(
        None, description="Estimated USD cost of the call; None when not priced."
    )
    saved_cost_usd: float | None = Field(
        None, description="On a cache hit, the estimated cost of the served reply."
    )
    error: RecordedError | None = None
    session_id: str | None = None
    user_id: str | None = None
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)
    user_agent: str | None = None
    api_key_fingerprint: str | None = None
    replay_of: str | None = Field(
        None, description="The trace this call replayed, if it is a replay."
    )

    def to_document(self) -> dict:
        document = self.model_dump(exclude={"id"})
        document["_id"] = self.id
        return document

    @classmethod
    def from_document(cls, document: dict) -> Trace:
        fields = dict(document)
        fields["id"] = fields.pop("_id")
        return cls.model_validate(fields)


class TraceSummary(BaseModel):
    """A list item: the trace without its full prompt and reply."""

    id: str
    created_at: dt.datetime
    status: Status
    provider: str
    model: str
    cached: bool
    latency_ms: float
    cost_usd: float | None = None
    finish_reason: str | None = None
    total_tokens: int | None = None
    session_id: str | None = None
    error_code: str | None = None
    message_preview: str
    reply_preview: str | None = None
