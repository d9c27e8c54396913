"""AccelBench: every task's hidden tests pass with the reference and the template providers,
and a wrong design fails them."""
from __future__ import annotations

import json

import pytest

from rtlsmith.benchmarks.adapters.accelbench import BUILTIN_TASKS, AccelBenchAdapter
from rtlsmith.benchmarks.harness import BenchConfig, run_bench
from rtlsmith.benchmarks.providers import ProviderOptions
from rtlsmith.rtl_templates import discover

pytestmark = pytest.mark.eda


def test_tasks_load_and_cover_the_families():
    probs = AccelBenchAdapter().load(BUILTIN_TASKS, "spec-to-rtl")
    fams = {p.meta["family"] for p in probs}
    assert fams == set(discover()), "every template family has AccelBench tasks"
    for p in probs:
        assert p.top in p.prompt and p.reference and p.meta["test_module"] + ".py" in p.harness


@pytest.mark.parametrize("provider", ["reference", "template"])
def test_reference_and_template_score_100_percent(tmp_path, provider):
    s = run_bench(BenchConfig(benchmark="accelbench", dataset=BUILTIN_TASKS, out=tmp_path / provider,
                              provider=provider, jobs=2), log=lambda m: None)
    assert s["total"] > 0 and s["strict_passed"] == s["passed"] == s["total"], s["by_class"]


def test_wrong_design_fails_the_hidden_tests(tmp_path):
    ref = next(p for p in AccelBenchAdapter().load(BUILTIN_TASKS, "spec-to-rtl") if p.id == "systolic_os-1")
    rtl = ref.reference["systolic_os.v"]
    assert "acc <= acc + prod_ext;" in rtl
    samples = tmp_path / "s.jsonl"
    samples.write_text(json.dumps({"problem": "systolic_os-1",
                                   "completion": rtl.replace("acc <= acc + prod_ext;", "acc <= acc - prod_ext;")}))
    s = run_bench(BenchConfig(benchmark="accelbench", dataset=BUILTIN_TASKS, out=tmp_path / "o", provider="samples",
                              provider_options=ProviderOptions(samples_path=samples), problems=["systolic_os-1"]),
                  log=lambda m: None)
    assert (s["passed"], s["total"], s["by_class"]) == (0, 1, {"R": 1})
