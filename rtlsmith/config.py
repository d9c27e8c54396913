"""Typed configuration file (pydantic, ``extra="forbid"``: a typo is an error, not ignored).

Looked up in this order, first found wins: ``--config PATH``, ``./rtlsmith.toml``,
``$XDG_CONFIG_HOME/rtlsmith/config.toml`` (``~/.config/...``). Precedence of a setting:
command line > config file > environment variable > default.

Example ``rtlsmith.toml``::

    [sandbox]
    backend = "docker"        # auto | bwrap | docker | local
    docker_image = "rtlsmith-toolchain:149ae6581fcf"   # default: the tag of the current recipe

    [cache]
    enabled = true
"""
from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from rtlsmith.errors import ConfigError


class SandboxConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    backend: Literal["auto", "bwrap", "docker", "local"] | None = Field(
        default=None, description="where tools run; None = $RTLSMITH_SANDBOX or auto")
    docker_image: str | None = Field(default=None, description="toolchain image tag for the docker backend")


class CacheConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(default=True, description="content-addressed result cache")


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sandbox: SandboxConfig = SandboxConfig()
    cache: CacheConfig = CacheConfig()
    source: str | None = Field(default=None, description="file this was read from (informational)")


def find_config(explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} not found")
        return explicit
    home = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config"))
    for cand in (Path("rtlsmith.toml"), home / "rtlsmith" / "config.toml"):
        if cand.is_file():
            return cand
    return None


def load_config(explicit: Path | None = None) -> Config:
    path = find_config(explicit)
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise ConfigError(f"{path}: cannot read config: {e}") from e
    try:
        return Config(**data, source=str(path))
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
        raise ConfigError(f"{path}: {errs}") from e
