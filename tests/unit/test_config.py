import pytest

from rtlsmith.config import load_config
from rtlsmith.errors import ConfigError


def test_defaults_without_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "none"))
    cfg = load_config()
    assert cfg.sandbox.backend is None and cfg.cache.enabled and cfg.source is None


def test_cwd_file_and_typo_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rtlsmith.toml").write_text('[sandbox]\nbackend = "docker"\n')
    assert load_config().sandbox.backend == "docker"
    (tmp_path / "rtlsmith.toml").write_text('[sandbox]\nbakend = "docker"\n')
    with pytest.raises(ConfigError, match=r"rtlsmith.toml: sandbox.bakend"):
        load_config()
    (tmp_path / "rtlsmith.toml").write_text('[sandbox]\nbackend = "chroot"\n')
    with pytest.raises(ConfigError, match="sandbox.backend"):
        load_config()
    (tmp_path / "rtlsmith.toml").write_text("[sandbox\n")
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config()


def test_explicit_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "x.toml")
