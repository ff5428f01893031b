"""The chat flow: cache, rate limit, provider call, and one trace for each call.

Order of work for a call, and the store round trips it costs:

1. cache lookup (1) — a hit is answered from the cache and spends no budget;
2. rate counters (1) — one atomic conditional increment of both windows;
3. the provider call;
4. cache write (1) — complete answers only;
5. trace insert (1) — before the response, so the trace is readable as soon
   as the caller has its answer.

A trace that cannot be written is not dropped: it is logged in full at ERROR
with `unstored_trace: true`, and the answer says `trace_stored: false`.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from typing import NoReturn

from pydantic import BaseModel

from flight_recorder import cache, clock, pricing, providers, settings, store, traces
from flight_recorder.errors import (
    NotFound,
    ProviderError,
    RecorderError,
    StoreUnavailable,
)
from flight_recorder.models import (
    ChatRequest,
    RecordedError,
    RecordedRequest,
    RecordedResponse,
    RecordedText,
    Status,
    Trace,
)
from flight_recorder.providers.base import Generation, GenerationRequest, Usage
from flight_recorder.ratelimit import RateLimiter, RateState

log = logging.getLogger(__name__)

PREVIEW_CHARS = 120


class ChatReply(BaseModel):
    """The body of a successful chat answer."""

    reply: str
    trace_id: str
    trace_stored: bool
    latency_ms: float
    cached: bool
    cache_source_trace_id: str | None = None
    model: str
    provider: str
    usage: Usage
    cost_usd: float | None = None
    saved_cost_usd: float | None = None
    finish_reason: str | None
    outcome: Status
    blocked: bool
    block_reason: str | None = None


class Playback(BaseModel):
    """A recorded reply played back; the same recording gives the same bytes."""

    playback: bool = True
    reply: str
    source_trace_id: str
    model: str
    provider: str
    usage: Usage
    finish_reason: str | None


class ChatResult(BaseModel):
    reply: ChatReply
    headers: dict[str, str]


class CallContext(BaseModel):
    """Facts about the caller that go in the trace."""

    user_agent: str | None = None
    key_fingerprint: str | None = None
    replay_of: str | None = None


def record_text(text: str, limit: int) -> RecordedText:
    """`text` as stored: cut at `limit` characters, with its full size and hash."""
    return RecordedText(
        text=text[:limit],
        chars=len(text),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        truncated=len(text) > limit,
        preview=" ".join(text[: PREVIEW_CHARS * 2].split())[:PREVIEW_CHARS],
    )


class Recorder:
    """Runs chat calls against a provider and records each one."""

    def __init__(
        self,
        config: settings.Settings,
        backing: store.Store,
        provider: providers.Provider,
    ) -> None:
        self.config = config
        self.provider = provider
        self.backing = backing
        self.prices = pricing.PriceTable(config.model_prices)
        self.traces = traces.TraceStore(backing)
        self.cache = cache.ResponseCache(backing, config.CACHE_TTL_SECONDS)
        self.limiter = RateLimiter(
            backing,
            per_minute=config.MAX_RPM,
            per_day=config.MAX_RPD,
            day_zone=config.RATE_LIMIT_DAY_TIMEZONE,
            fail_open=config.STORE_FAILURE_POLICY == "open",
        )

    def provider_request(
        self, request: ChatRequest, context: CallContext
    ) -> tuple[GenerationRequest, str]:
        """What goes to the provider, and its cache key."""
        generation_request = GenerationRequest(
            model=request.model or self.config.GEMINI_MODEL_NAME,
            message=request.message,
            system=request.system,
            temperature=request.temperature,
            max_output_tokens=request.max_output_tokens,
        )
        # Scoped by caller: one key's answers are never served to another key.
        key = cache.cache_key(
            self.provider.name, generation_request, scope=context.key_fingerprint or ""
        )
        return generation_request, key

    def playback(self, request: ChatRequest, context: CallContext) -> Playback:
        """The reply first recorded for this exact request; no provider call.

        The earliest complete answer from the provider is chosen, so the same
        recording always plays back the same bytes.
        """
        _, key = self.provider_request(request, context)
        recorded = {"cache_key": key, "status": "ok", "cached": False}
        document = self.backing.run(
            lambda db: db[store.TRACES].find_one(
                recorded, sort=[("created_at", 1), ("_id", 1)]
            )
        )
        if document is None:
            raise NotFound("no recorded reply for this request")
        trace = Trace.from_document(document)
        reply = trace.response.reply.text if trace.response else ""
        return Playback(
            reply=reply,
            source_trace_id=trace.id,
            model=trace.model,
            provider=trace.provider,
            usage=trace.usage,
            finish_reason=trace.response.finish_reason if trace.response else None,
        )

    def chat(self, request: ChatRequest, context: CallContext) -> ChatResult:
        started = clock.monotonic_ms()
        call = _Call(self, request, context, started)
        generation_request, key = self.provider_request(request, context)
        call.cache_key = key
        call.model = generation_request.model

        use_cache = self.config.CACHE_ENABLED and not request.bypass_cache
        call.cache_state = "MISS" if use_cache else "BYPASS"
        if use_cache:
            hit = self.cache.lookup(key)
            if hit is not None:
                return call.finish_from_cache(hit)

        try:
            rate = self.limiter.acquire()
        except RecorderError as exc:
            call.fail(exc, status="rate_limited" if exc.status == 429 else "error")

        provider_started = clock.monotonic_ms()
        try:
            generation = self.provider.generate(generation_request)
        except ProviderError as exc:
            call.provider_latency_ms = clock.monotonic_ms() - provider_started
            call.fail(exc, status="error")
        call.provider_latency_ms = clock.monotonic_ms() - provider_started

        self.cache.save(key, generation, call.trace_id)
        return call.finish(generation, rate)


class _Call:
    """The state of one chat call, and how it becomes a trace."""

    def __init__(
        self,
        recorder: Recorder,
        request: ChatRequest,
        context: CallContext,
        started: float,
    ) -> None:
        self.recorder = recorder
        self.request = request
        self.context = context
        self.started = started
        self.trace_id = traces.new_trace_id()
        self.created_at = clock.now()
        self.cache_key: str | None = None
        self.cache_state = "MISS"
        self.model = request.model or recorder.config.GEMINI_MODEL_NAME
        self.provider_latency_ms: float | None = None
        self.trace_stored = False

    def finish(self, generation: Generation, rate: RateState) -> ChatResult:
        trace = self._trace(generation.outcome, generation=generation)
        self._store(trace)
        headers = {"X-Cache": self.cache_state} | rate.headers()
        return self._result(trace, generation, headers)

    def finish_from_cache(self, hit: cache.CachedReply) -> ChatResult:
        self.cache_state = "HIT"
        trace = self._trace(
            "ok", generation=hit.generation, source_trace_id=hit.source_trace_id
        )
        self._store(trace)
        return self._result(trace, hit.generation, {"X-Cache": "HIT"})

    def fail(self, error: RecorderError, *, status: Status) -> NoReturn:
        """Record the failed call, then raise `error` carrying the trace id."""
        recorded = RecordedError(
            code=error.code,
            message=error.message,
            status=error.status,
            provider_status=getattr(error, "provider_status", None),
            provider_message=getattr(error, "provider_message", None),
        )
        trace = self._trace(status, error=recorded)
        self._store(trace)
        error.trace_id = self.trace_id
        raise error

    def _trace(
        self,
        status: Status,
        *,
        generation: Generation | None = None,
        source_trace_id: str | None = None,
        error: RecordedError | None = None,
    ) -> Trace:
        limit = self.recorder.config.TRACE_TEXT_LIMIT_CHARS
        request = self.request
        response = None
        usage = Usage()
        cost = saved = None
        if generation is not None:
            response = RecordedResponse(
                reply=record_text(generation.text, limit),
                finish_reason=generation.finish_reason,
                model_version=generation.model_version,
                response_id=generation.response_id,
                safety_ratings=generation.safety_ratings,
                block_reason=generation.block_reason,
                candidate_count=generation.candidate_count,
            )
            usage = generation.usage
            cost = self.recorder.prices.cost(self.model, usage)
            if source_trace_id is not None:
                usage = Usage(input_tokens=0, output_tokens=0, total_tokens=0)
                cost, saved = 0.0, cost

        return Trace(
            id=self.trace_id,
            created_at=self.created_at,
            status=status,
            provider=self.recorder.provider.name,
            model=self.model,
            cached=source_trace_id is not None,
            cache_key=self.cache_key,
            cache_source_trace_id=source_trace_id,
            latency_ms=round(clock.monotonic_ms() - self.started, 3),
            provider_latency_ms=_round(self.provider_latency_ms),
            request=RecordedRequest(
                message=record_text(request.message, limit),
                system=_maybe_record(request.system, limit),
                temperature=request.temperature,
                max_output_tokens=request.max_output_tokens,
                bypass_cache=request.bypass_cache,
            ),
            response=response,
            usage=usage,
            cost_usd=cost,
            saved_cost_usd=saved,
            error=error,
            session_id=request.session_id,
            user_id=request.user_id,
            tags=request.tags,
            metadata=request.metadata,
            user_agent=self.context.user_agent,
            api_key_fingerprint=self.context.key_fingerprint,
            replay_of=self.context.replay_of,
        )

    def _store(self, trace: Trace) -> None:
        try:
            self.recorder.traces.insert(trace)
        except StoreUnavailable:
            self.recorder.backing.note("unstored_traces")
            log.error(
                "trace not stored",
                extra={"unstored_trace": True, "trace": trace.model_dump(mode="json")},
            )
            self.trace_stored = False
            return
        self.trace_stored = True

    def _result(
        self, trace: Trace, generation: Generation, headers: dict[str, str]
    ) -> ChatResult:
        reply = ChatReply(
            reply=generation.text,
            trace_id=trace.id,
            trace_stored=self.trace_stored,
            latency_ms=trace.latency_ms,
            cached=trace.cached,
            cache_source_trace_id=trace.cache_source_trace_id,
            model=trace.model,
            provider=trace.provider,
            usage=trace.usage,
            cost_usd=trace.cost_usd,
            saved_cost_usd=trace.saved_cost_usd,
            finish_reason=generation.finish_reason,
            outcome=trace.status,
            blocked=trace.status == "blocked",
            block_reason=generation.block_reason,
        )
        headers = headers | {"X-Trace-Id": trace.id}
        if not self.trace_stored:
            headers["X-Trace-Stored"] = "false"
        return ChatResult(reply=reply, headers=headers)


def _maybe_record(text: str | None, limit: int) -> RecordedText | None:
    return None if text is None else record_text(text, limit)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@functools.cache
def get() -> Recorder:
    """The process-wide recorder over the configured store and provider."""
    return Recorder(settings.get(), store.get(), providers.get())


def reset() -> None:
    """Forget the process-wide objects, so the next call rebuilds them (tests)."""
    get.cache_clear()
    providers.get.cache_clear()
    store.get.cache_clear()
    settings.get.cache_clear()
