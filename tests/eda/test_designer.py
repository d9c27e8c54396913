"""The offline template designer end to end: DSE on real Yosys/OpenSTA, cocotb verification,
report files; and the errors a user meets with a bad or unsupported spec."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rtlsmith.agents.template_designer import candidate_points, design_from_spec
from rtlsmith.errors import InputError
from rtlsmith.rtl_templates import get
from rtlsmith.types import load_spec

pytestmark = pytest.mark.eda

SMALL = """---
family: systolic_os
params: {{ROWS: 2, COLS: 2, IN_W: 4, SIGNED: 0}}
ranges: {{ACC_W: [8, 10, 12]}}
targets: {{max_cells: {cells}, max_latency_cycles: 3}}
objective: min_cells
---
# 2x2 tile
A tiny GEMM tile.
"""


def _spec(tmp_path: Path, cells: int) -> Path:
    f = tmp_path / "spec.md"
    f.write_text(SMALL.format(cells=cells))
    return f


def test_design_explores_verifies_and_reports(tmp_path):
    spec = load_spec(_spec(tmp_path, 100000))
    res = design_from_spec(spec, tmp_path / "out", jobs=2)
    assert res.exit_status == "passed"
    assert len(res.points) == 3 and all(p.cells for p in res.points)
    # min_cells: the chosen point has the fewest cells of the feasible ones
    assert res.chosen.cells == min(p.cells for p in res.points if p.feasible)
    assert res.chosen.latency == 3 and all(r.passed for r in res.sim)
    out = tmp_path / "out"
    for f in ("report.md", "ppa.json", "dse.json", "design.json", "rtl/systolic_os.v", "tests/params.json"):
        assert (out / f).is_file(), f
    for png in ("pareto.png", "waveform.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    d = json.loads((out / "design.json").read_text())
    assert d["exit_status"] == "passed" and d["chosen"]["params"]["ACC_W"] == res.chosen.params["ACC_W"]
    assert "| ACC_W=" in (out / "report.md").read_text()
    assert json.loads((out / "tests/params.json").read_text())["ROWS"] == 2


def test_unmeetable_target_is_reported_not_hidden(tmp_path):
    r = subprocess.run([sys.executable, "-m", "rtlsmith.cli", "design", str(_spec(tmp_path, 10)), "--out",
                        str(tmp_path / "o"), "--json", "--no-waveform"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stderr
    d = json.loads(r.stdout)
    assert d["exit_status"] == "passed_ppa_unmet" and "cells" in " ".join(d["notes"])


def test_bad_specs_fail_clearly(tmp_path):
    f = tmp_path / "s.md"
    f.write_text("---\nfamily: fft_engine\n---\n# an FFT\n")
    with pytest.raises(InputError, match="only builds these families: .*systolic_os.*--provider openai"):
        design_from_spec(load_spec(f), tmp_path / "o")
    f.write_text("---\nfamily: systolic_os\nparams: {ROWS: 2, WIDTH: 3}\n---\n")
    with pytest.raises(InputError, match=r"\['WIDTH'\] are not parameters of systolic_os"):
        design_from_spec(load_spec(f), tmp_path / "o")
    f.write_text("---\nfamily: systolic_os\ntargets: {max_cells: lots}\n---\n")
    with pytest.raises(InputError, match=r"s.md:3: front matter key 'targets.max_cells'"):
        load_spec(f)
    r = subprocess.run([sys.executable, "-m", "rtlsmith.cli", "design", str(tmp_path / "nope.md")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "spec file not found" in r.stderr


def test_candidate_points_budget_and_defaults():
    tpl = get("systolic_os")
    spec = load_spec_text("---\nfamily: systolic_os\nmax_points: 5\n---\n")
    pts, varied = candidate_points(tpl, spec)
    assert len(pts) <= 5 and varied == sorted(tpl.param_space)
    spec = load_spec_text("---\nfamily: systolic_os\nranges: {ACC_W: {min: 16, max: 32, step: 8}}\n---\n")
    pts, varied = candidate_points(tpl, spec)
    assert [p["ACC_W"] for p in pts] == [16, 24, 32] and varied == ["ACC_W"]
    assert all(p["ROWS"] == tpl.default_params["ROWS"] for p in pts)  # unvaried: the defaults


def load_spec_text(text: str):
    import tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
        f.write(text)
    return load_spec(Path(f.name))
