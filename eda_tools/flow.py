"""One template through the whole tool layer: generate -> lint -> (cocotb sim | synth) in parallel."""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Mapping

from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.eda_tools.lint import LintResult, lint
from rtlsmith.eda_tools.simulate import simulate_cocotb
from rtlsmith.eda_tools.synth import synth
from rtlsmith.types import DesignFiles, PPAReport, SimResult


@dataclass
class FlowResult:
    files: DesignFiles
    lint: LintResult
    sim: SimResult
    ppa: PPAReport
    seconds: float

    @property
    def ok(self) -> bool:
        return self.lint.ok and self.sim.passed


def template_tests(tpl: Any, params: Mapping[str, Any], sim: str, seed: int, ctx: EdaContext,
                   files: DesignFiles | None = None) -> SimResult:
    """Run a template family's own cocotb tests on ``files`` (generated from params if None)."""
    from rtlsmith.rtl_templates import PARAMS_ENV
    files = files if files is not None else tpl.generate(params)
    return simulate_cocotb(files, tpl.top, tpl.test_module, tpl.package_dir, sim,
                           extra_env={PARAMS_ENV: json.dumps({**params, "seed": seed})}, seed=seed, ctx=ctx)


def template_flow(tpl: Any, params: Mapping[str, Any], sim: str = "icarus", seed: int = 1,
                  ctx: EdaContext | None = None, progress=None) -> FlowResult:
    """Lint first (cheap, and its errors explain everything after), then simulation and
    synthesis side by side: they are independent and each keeps one core busy."""
    ctx = ctx or EdaContext()
    say = progress or (lambda msg: None)
    t0 = time.monotonic()
    files = tpl.generate(params)
    say("lint (verilator + iverilog) ...")
    lr = lint(files, top=tpl.top, ctx=ctx)
    say(f"cocotb tests on {sim} | yosys synthesis + OpenSTA (in parallel) ...")
    with ThreadPoolExecutor(max_workers=2) as pool:
        sim_f = pool.submit(template_tests, tpl, params, sim, seed, ctx, files)
        ppa_f = pool.submit(synth, files, tpl.top, ctx=ctx)
        sim_res, ppa = sim_f.result(), ppa_f.result()
    return FlowResult(files=files, lint=lr, sim=sim_res, ppa=ppa, seconds=time.monotonic() - t0)
