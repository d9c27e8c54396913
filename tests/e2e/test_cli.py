"""The CLI as a user runs it: a real subprocess, real exit codes, real output."""
import json
import subprocess
import sys

import pytest

RTLSMITH = [sys.executable, "-m", "rtlsmith.cli"]


def cli(*args, cwd=None):
    return subprocess.run([*RTLSMITH, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def test_help_lists_commands():
    r = cli("--help")
    assert r.returncode == 0
    for c in ("lint", "sim", "synth", "regress", "flow", "doctor"):
        assert c in r.stdout
    assert "exit codes" in r.stdout


def test_bad_usage_and_missing_file(tmp_path):
    assert cli("synth").returncode == 2  # argparse: --top and files missing
    r = cli("lint", tmp_path / "nope.v")
    assert r.returncode == 2 and "nope.v" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.eda
def test_lint_json_and_exit_code(data_dir):
    r = cli("lint", data_dir / "hdl/bad.v", "--json")
    assert r.returncode == 1
    diags = json.loads(r.stdout)
    assert any(d["file"] == "bad.v" and d["line"] == 7 for d in diags)


@pytest.mark.eda
def test_sim_pass_and_fail(data_dir, tmp_path):
    r = cli("sim", data_dir / "hdl/adder_tb.v", "--top", "tb", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["passed"] is True
    bad = tmp_path / "adder_tb.v"
    bad.write_text((data_dir / "hdl/adder_tb.v").read_text().replace("a + b;", "a | b;"))
    r = cli("sim", bad, "--top", "tb", "--sim", "verilator")
    assert r.returncode == 1 and "FAIL" in r.stdout and "Mismatches" in r.stdout


@pytest.mark.eda
def test_sim_refuses_system_task(tmp_path):
    f = tmp_path / "tb.v"
    f.write_text('module tb;\ninitial begin\n  $system("touch /tmp/pwned");\n  $finish;\nend\nendmodule\n')
    r = cli("sim", f, "--top", "tb")
    assert r.returncode == 5 and "tb.v:3: $system" in r.stderr


@pytest.mark.eda
def test_synth_json_is_the_ppareport(data_dir):
    r = cli("synth", data_dir / "hdl/mac.v", "--top", "mac", "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["top"] == "mac" and rep["cells"]["unit"] == "cells" and rep["area_est"]["unit"] == "um2"
    assert rep["fmax_mhz_est"]["value"] > 0 and "yosys" in rep["tool_versions"]


def test_doctor_json():
    r = cli("doctor", "--json")
    d = json.loads(r.stdout)
    assert d["backends"]["local"]["ok"] is True and "bwrap" in d["backends"]
    assert d["auto_backend"] in ("docker", "bwrap", "local")


@pytest.mark.eda
def test_regress_table_and_flow_json(tmp_path):
    r = cli("regress", "--family", "systolic_os", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(r.stdout)["rows"]
    assert {row["verdict"] for row in rows} == {"pass"} and all(row["tests"] >= 5 for row in rows)
    r = cli("flow", "systolic_os", "-p", "ROWS=2", "-p", "COLS=3", "--json", "--out", tmp_path / "o")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["sim"]["passed"] and d["lint"]["ok"] and d["ppa"]["cells"]["value"] > 100
    assert (tmp_path / "o" / "rtl" / "systolic_os.v").exists() and (tmp_path / "o" / "ppa.json").exists()


def test_flow_unknown_family_and_bad_param():
    r = cli("flow", "no_such_family")
    assert r.returncode == 2 and "valid:" in r.stderr and "systolic_os" in r.stderr
    r = cli("flow", "systolic_os", "-p", "ROWS=0")
    assert r.returncode == 2 and "ROWS" in r.stderr


def test_config_file_picks_the_backend_and_cli_overrides_it(tmp_path, data_dir, monkeypatch):
    monkeypatch.delenv("RTLSMITH_QUIET_LOCAL")  # the local backend's warning is the evidence
    (tmp_path / "rtlsmith.toml").write_text('[sandbox]\nbackend = "local"\n[cache]\nenabled = false\n')
    r = cli("sim", data_dir / "hdl/adder_tb.v", "--top", "tb", cwd=tmp_path)
    assert r.returncode == 0 and "NO filesystem or network isolation" in r.stderr  # local's warning
    r = cli("sim", data_dir / "hdl/adder_tb.v", "--top", "tb", "--sandbox", "bwrap", cwd=tmp_path)
    assert r.returncode == 0 and "NO filesystem" not in r.stderr
    (tmp_path / "rtlsmith.toml").write_text('[sandbox]\nbackend = "chroot"\n')
    r = cli("sim", data_dir / "hdl/adder_tb.v", "--top", "tb", cwd=tmp_path)
    assert r.returncode == 2 and "rtlsmith.toml" in r.stderr
