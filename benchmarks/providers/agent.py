"""The rtlsmith agent loop as a benchmark provider: one full agent run per (problem, sample).

Spec-only by default: the agent gets the problem's prompt and the required top module name,
writes its own tests and verifies against them; the benchmark's golden testbench judges the
result afterwards. ``--golden-tb`` also shows the golden testbench to the agent, and the
summary says so. Records keep the agent's own verdict beside the golden one (false-pass rate,
first-attempt vs after-repair). Runs live in OUT/agent/ID/sampleNN and resume like any run.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.benchmarks.core import Completion, Problem, Usage
from rtlsmith.benchmarks.providers import Provider, ProviderOptions
from rtlsmith.errors import ConfigError, RtlsmithError


class AgentProvider(Provider):
    name = "agent"

    def __init__(self, opts: ProviderOptions) -> None:
        super().__init__(opts)
        if not opts.model:
            raise ConfigError("the agent provider needs a model name (--model NAME)")
        self.concurrency = opts.concurrency
        self.run_root: Path | None = None

    def set_run_root(self, root: Path) -> None:
        self.run_root = root

    def spec_text(self, problem: Problem) -> str:
        text = problem.prompt.rstrip() + f"\n\nThe top module must be named `{problem.top}`."
        if problem.interface:
            text += f"\nIts interface:\n```verilog\n{problem.interface.strip()}\n```"
        return text

    def golden_tb(self, problem: Problem) -> str | None:
        if not self.opts.golden_tb:
            return None
        tbs = [t for n, t in problem.harness.items() if n.endswith((".sv", ".v")) and ("test" in n or "tb" in n)]
        return "\n".join(tbs) or None

    def complete(self, problem: Problem, sample: int) -> Completion:
        from rtlsmith.agents.llm import LLMConfig
        from rtlsmith.agents.run import resume_design, run_design
        from rtlsmith.types import Spec
        o = self.opts
        root = self.run_root or Path("out/agent-runs")
        run_dir = root / problem.id / f"sample{sample:02d}"
        cfg = LLMConfig(model=o.model, base_url=o.base_url, api_key_env=o.api_key_env, temperature=o.temperature,
                        top_p=o.top_p, max_tokens=o.max_tokens, retries=o.retries, prices=dict(o.prices),
                        seed=None if o.seed is None else o.seed + sample)
        try:
            if (run_dir / "checkpoints.sqlite").exists():
                rec = resume_design(run_dir, cfg)
            else:
                spec = Spec(text=self.spec_text(problem), source=f"{problem.benchmark}:{problem.id}")
                rec = run_design(spec, run_dir, cfg, golden_tb=self.golden_tb(problem), run_id=f"{problem.id}-{sample}")
        except RtlsmithError as e:
            return Completion(error=f"agent run failed: {e}")
        usage = Usage(prompt_tokens=rec.prompt_tokens, completion_tokens=rec.completion_tokens, cost_usd=rec.cost_usd)
        rtl = run_dir / "final" / "rtl" / "dut.v"
        if not rtl.is_file():
            return Completion(error=f"agent ended with {rec.exit_status} and no design: {rec.exit_reason}",
                              usage=usage, self_verdict=False, first_attempt_self_verdict=rec.first_attempt_pass)
        return Completion(files={problem.completion_file: rtl.read_text()}, usage=usage, seconds=rec.seconds,
                          self_verdict=rec.self_verdict, first_attempt_self_verdict=rec.first_attempt_pass,
                          raw=f"agent run {rec.run_id}: {rec.exit_status} ({rec.exit_reason})")
