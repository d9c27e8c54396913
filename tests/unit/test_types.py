from pathlib import Path

import pytest

from rtlsmith.errors import InputError
from rtlsmith.types import DesignFiles, Diagnostic


@pytest.mark.parametrize("bad", ["../x.v", "/etc/x.v", "a/../../b.v", "", "a//b.v", "./x.v", "a\\b.v", "x\x00.v"])
def test_designfiles_rejects_escaping_names(bad):
    with pytest.raises(InputError):
        DesignFiles({bad: "module m; endmodule"})


def test_designfiles_digest_is_order_independent_and_content_sensitive():
    a = DesignFiles({"a.v": "1", "b/c.v": "2"})
    b = DesignFiles({"b/c.v": "2", "a.v": "1"})
    assert a.digest() == b.digest()
    b["a.v"] = "1 "
    assert a.digest() != b.digest()


def test_designfiles_roundtrip_keeps_non_utf8_bytes(tmp_path: Path):
    raw = b"module m; // \xff\xfe caf\xc3\xa9\nendmodule\n"
    (tmp_path / "m.v").write_bytes(raw)
    files = DesignFiles.from_paths([tmp_path / "m.v"])
    out = tmp_path / "out"
    files.write(out)
    assert (out / "m.v").read_bytes() == raw


def test_from_paths_errors_name_the_file(tmp_path: Path):
    with pytest.raises(InputError, match="nope.v"):
        DesignFiles.from_paths([tmp_path / "nope.v"])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.v").write_text("")
    (tmp_path / "b" / "x.v").write_text("")
    with pytest.raises(InputError, match="share the base name"):
        DesignFiles.from_paths([tmp_path / "a" / "x.v", tmp_path / "b" / "x.v"])


def test_diagnostic_location():
    d = Diagnostic(tool="t", severity="error", file="a.v", line=3, col=4, message="m")
    assert d.location() == "a.v:3:4"
    with pytest.raises(Exception):
        Diagnostic(tool="t", severity="fatal", message="m")  # severity is a closed set
