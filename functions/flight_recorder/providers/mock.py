"""A deterministic stand-in provider: no key, no network, same input same reply."""

from __future__ import annotations

import hashlib

from flight_recorder.providers.base import Generation, GenerationRequest, Usage

# A rough tokens-per-character ratio of English text for Gemini's tokenizer.
_CHARS_PER_TOKEN = 4


def _estimate_tokens(text: str) -> int:
    return max(1, -(-len(text) // _CHARS_PER_TOKEN)) if text else 0


class MockProvider:
    """Answers with a reply derived from the prompt and plausible token counts."""

    name = "mock"

    def generate(self, request: GenerationRequest) -> Generation:
        digest = hashlib.sha256(request.message.encode("utf-8")).hexdigest()
        preview = " ".join(request.message.split())[:80]
        text = f"[mock {request.model}] You said: {preview}"
        if request.max_output_tokens is not None:
            text = text[: request.max_output_tokens * _CHARS_PER_TOKEN]

        prompt_tokens = _estimate_tokens(request.message)
        prompt_tokens += _estimate_tokens(request.system or "")
        output_tokens = _estimate_tokens(text)
        return Generation(
            text=text,
            finish_reason="STOP",
            usage=Usage(
                input_tokens=prompt_tokens,
                output_tokens=output_tokens,
                thought_tokens=0,
                cached_tokens=0,
                total_tokens=prompt_tokens + output_tokens,
            ),
            model_version=request.model,
            response_id=f"mock-{digest[:16]}",
        )
