"""Fixtures for the LLM tier: a scripted OpenAI-compatible server over real HTTP."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.scripted_server import ScriptedOpenAI


@pytest.fixture(autouse=True)
def _no_real_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own OPENAI_* settings must never reach a test (or send it elsewhere)."""
    for var in ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")


@pytest.fixture
def scripted_openai() -> Iterator[ScriptedOpenAI]:
    """A running ScriptedOpenAI with no rules; ``.base_url`` ends in /v1."""
    with ScriptedOpenAI() as srv:
        yield srv
