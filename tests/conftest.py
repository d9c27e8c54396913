"""Shared fixtures. Every test gets a private result cache so tiers never see each other's hits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RTLSMITH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RTLSMITH_QUIET_LOCAL", "1")
    # keep the ccache shared across tests (speed) but out of the user's home
    monkeypatch.setenv("RTLSMITH_CCACHE_DIR", os.environ.get("RTLSMITH_CCACHE_DIR",
                                                             str(Path.home() / ".cache/rtlsmith/ccache")))


@pytest.fixture
def data_dir() -> Path:
    return DATA
