"""LLM Flight Recorder: record, cache and rate-limit calls to language models."""

__version__ = "0.1.0"
