"""Completion providers: where a benchmark's candidate designs come from.

- ``reference``: the dataset's own solution (validates the harness: it should pass).
- ``samples``: completions produced elsewhere, read from a JSONL file or a directory.
- ``openai``: any OpenAI-compatible chat endpoint through the openai SDK.
- ``template``: the offline template designer (specs with a template family: AccelBench).
- ``agent``: the rtlsmith agent loop (spec-only unless ``--golden-tb``).

A provider never raises for a model-side failure (no code, endpoint down, garbage): it
returns a Completion with ``error`` set, so one bad sample never stops the batch.
"""
from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from rtlsmith.benchmarks.core import Completion, Problem
from rtlsmith.errors import ConfigError

PROVIDERS: dict[str, str] = {
    "reference": "rtlsmith.benchmarks.providers.reference:ReferenceProvider",
    "samples": "rtlsmith.benchmarks.providers.samples:SamplesProvider",
    "openai": "rtlsmith.benchmarks.providers.openai_provider:OpenAIProvider",
    "template": "rtlsmith.benchmarks.providers.template:TemplateProvider",
    "agent": "rtlsmith.benchmarks.providers.agent:AgentProvider",
}


class ProviderOptions(BaseModel):
    """Every provider option the CLI exposes; a provider reads the ones it uses."""

    model_config = ConfigDict(extra="forbid")
    model: str | None = Field(default=None, description="model name sent to the endpoint")
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)")
    api_key_env: str = Field(default="OPENAI_API_KEY", description="env var holding the API key")
    temperature: float = 0.8
    top_p: float = 0.95
    max_tokens: int = 4096
    retries: int = Field(default=4, description="retries on 429/5xx/connection errors, with exponential backoff")
    concurrency: int = Field(default=4, description="requests in flight at once")
    request_timeout_s: float = 120.0
    #: USD per 1M tokens (prompt, completion) by model; unknown models cost 0 and the report says so
    prices: dict[str, tuple[float, float]] = {}
    samples_path: Path | None = Field(default=None, description="samples provider: JSONL file or directory")
    golden_tb: bool = Field(default=False, description="agent provider: show the golden testbench to the agent")
    seed: int | None = None


class Provider(ABC):
    name: str
    #: how many completions may be requested at once (the harness runs that many threads)
    concurrency: int = 8

    def __init__(self, opts: ProviderOptions) -> None:
        self.opts = opts

    @property
    def model(self) -> str | None:
        return self.opts.model

    @abstractmethod
    def complete(self, problem: Problem, sample: int) -> Completion:
        """Completion number ``sample`` (1-based) for ``problem``."""

    def close(self) -> None:
        """Release connections; called once when the run ends."""


def get_provider(name: str, opts: ProviderOptions | None = None) -> Provider:
    if name not in PROVIDERS:
        raise ConfigError(f"unknown provider {name!r}; known: {', '.join(PROVIDERS)}")
    mod, cls = PROVIDERS[name].split(":")
    return getattr(importlib.import_module(mod), cls)(opts or ProviderOptions())
