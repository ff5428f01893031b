"""Settings: every environment variable the functions read, declared once.

Values come from the process environment, then from a `.env` file in the working
directory, then from the defaults below. A wrong value stops start-up with a
message that names the variable (see `load`).
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Literal

from pydantic import Field, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flight_recorder.access import parse_keys, parse_origins
from flight_recorder.errors import ConfigurationError
from flight_recorder.pricing import ModelPrice

_PRICES = TypeAdapter(dict[str, ModelPrice])


class Settings(BaseSettings):
    """The recorder's configuration; field names are the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=True,
        extra="ignore",
    )

    API_ENV: Literal["development", "test", "production"] = Field(
        "development", description="Deployment stage, reported by health."
    )
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Minimum severity written to the log."
    )
    USE_MOCK_LLM: bool = Field(
        True, description="Answer with the deterministic mock instead of Gemini."
    )
    GOOGLE_API_KEY: SecretStr | None = Field(
        None, description="Gemini API key; required when USE_MOCK_LLM is false."
    )
    GEMINI_MODEL_NAME: str = Field(
        "gemini-2.5-flash", min_length=1, description="Default model of a request."
    )
    GEMINI_API_VERSION: str = Field("v1beta", description="Gemini API version.")
    GEMINI_BASE_URL: str | None = Field(
        None, description="Override of the Gemini endpoint, e.g. a local stand-in."
    )
    GEMINI_TIMEOUT_SECONDS: float = Field(
        30.0,
        gt=0,
        le=540,
        description="Deadline of one Gemini call, retries included, in seconds; "
        "keep it below the function's own timeout.",
    )
    GEMINI_MAX_ATTEMPTS: int = Field(
        2, ge=1, le=5, description="Attempts per Gemini call, retries included."
    )
    GEMINI_RETRY_DELAY_SECONDS: float = Field(
        1.0,
        ge=0,
        le=60,
        description="First wait before a retry, doubled after each, in seconds; "
        "a 429's own retry delay takes its place.",
    )
    MODEL_PRICES: str = Field(
        "",
        description="JSON object of USD prices per 1M tokens by model, e.g. "
        '{"my-model": {"input": 0.3, "output": 2.5, "cached_input": 0.03}}; '
        "laid over the built-in Gemini table. Empty: the table as built.",
    )
    MONGODB_URI: SecretStr | None = Field(
        None, description="MongoDB connection string; unset means the embedded store."
    )
    MONGODB_DB_NAME: str = Field(
        "flight_recorder", pattern=r"^[A-Za-z0-9_-]{1,63}$", description="Database."
    )
    MONGODB_TIMEOUT_MS: int = Field(
        3000, ge=100, le=60000, description="Server selection and socket timeout."
    )
    MONGODB_MAX_POOL_SIZE: int = Field(
        10, ge=1, le=500, description="Connections per function instance."
    )
    EMBEDDED_STORE_PATH: str = Field(
        ".data/store", min_length=1, description="Folder of the embedded store."
    )
    API_KEYS: SecretStr | None = Field(
        None,
        description="Comma-separated keys accepted by every function but health; "
        "unset means open access, refused when API_ENV is production.",
    )
    CORS_ALLOWED_ORIGINS: str = Field(
        "",
        description="Comma-separated browser origins allowed to call, or *.",
    )
    MAX_RPM: int = Field(60, ge=1, description="Provider calls allowed per minute.")
    MAX_RPD: int = Field(1000, ge=1, description="Provider calls allowed per day.")
    RATE_LIMIT_DAY_TIMEZONE: str = Field(
        "America/Los_Angeles",
        description="IANA zone whose midnight starts a new daily window.",
    )
    STORE_FAILURE_POLICY: Literal["open", "closed"] = Field(
        "open",
        description="When the rate counters are unreachable: admit (open) or 503.",
    )
    CACHE_ENABLED: bool = Field(True, description="Serve exact repeats from cache.")
    CACHE_TTL_SECONDS: int = Field(
        86400, ge=1, description="Lifetime of a cache entry, in seconds."
    )
    MAX_REQUEST_BYTES: int = Field(
        2_000_000, ge=1024, description="Largest request body accepted, in bytes."
    )
    MAX_MESSAGE_CHARS: int = Field(
        100_000, ge=1, description="Longest message accepted, in characters."
    )
    TRACE_TEXT_LIMIT_CHARS: int = Field(
        32_768,
        ge=256,
        description="Prompt and reply text kept in a trace; longer is truncated.",
    )

    @field_validator("MODEL_PRICES")
    @classmethod
    def _valid_prices(cls, value: str) -> str:
        if value.strip():
            _PRICES.validate_json(value)
        return value

    @property
    def model_prices(self) -> dict[str, ModelPrice]:
        """MODEL_PRICES read as prices by model name."""
        return (
            _PRICES.validate_json(self.MODEL_PRICES)
            if self.MODEL_PRICES.strip()
            else {}
        )

    @field_validator("RATE_LIMIT_DAY_TIMEZONE")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("MONGODB_URI")
    @classmethod
    def _mongodb_scheme(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not value.get_secret_value().startswith(("mongodb://", "mongodb+srv://")):
            # The value itself is a secret: say what is wrong without echoing it.
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @property
    def api_keys(self) -> tuple[str, ...]:
        raw = self.API_KEYS.get_secret_value() if self.API_KEYS else ""
        return parse_keys(raw)

    @property
    def cors_origins(self) -> tuple[str, ...]:
        return parse_origins(self.CORS_ALLOWED_ORIGINS)

    @property
    def provider_name(self) -> str:
        return "mock" if self.USE_MOCK_LLM else "gemini"

    @property
    def store_kind(self) -> str:
        return "mongodb" if self.MONGODB_URI else "embedded"


def load() -> Settings:
    """Read and validate the settings, naming each wrong variable on failure."""
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigurationError(f"invalid settings: {problems}") from None

    if settings.API_ENV == "production" and not settings.api_keys:
        raise ConfigurationError(
            "invalid settings: API_KEYS: required when API_ENV is production"
        )
    if not settings.USE_MOCK_LLM and settings.GOOGLE_API_KEY is None:
        raise ConfigurationError(
            "invalid settings: GOOGLE_API_KEY: required when USE_MOCK_LLM is false"
        )
    return settings


@functools.cache
def get() -> Settings:
    """The process-wide settings, read once."""
    return load()
