"""The benchmark harness end to end with the real simulator: verdict parity with the official
VerilogEval rule, strict verdicts, resume, bad providers, Ctrl-C, the Dask executor."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtlsmith.benchmarks.adapters.verilog_eval import COMPILE_FLAGS, classify
from rtlsmith.benchmarks.harness import BenchConfig, run_bench
from rtlsmith.benchmarks.providers import ProviderOptions
from rtlsmith.errors import ConfigError, InputError
from tests.conftest import default_sigint

pytestmark = pytest.mark.eda

# passing problems, the compile-error erratum (Prob099), a testbench-TIMEOUT erratum (Prob082),
# an Icarus-11 elaboration failure (Prob151) and a sequential problem with async-reset mutants
SUBSET = ["Prob001_zero", "Prob009_popcount3", "Prob035_count1to10", "Prob082_lfsr32", "Prob099_m2014_q6c",
          "Prob105_rotate100", "Prob151_review2015_fsm"]

# wrong completions, each aimed at a different failure class of the official taxonomy
MUTANTS = {
    ("Prob001_zero", 2): "module TopModule(output zero);\n assign zero = 1'b1;\nendmodule\n",           # R
    ("Prob001_zero", 3): "module TopModule(output zero)\n assign zero = 0;\nendmodule\n",                # S
    ("Prob009_popcount3", 2): "module TopModule(input [2:0] in, output [1:0] out);\n"
                              " always @* out = in[0] + in[1] + in[2];\nendmodule\n",                    # w? / C
    ("Prob009_popcount3", 3): "module TopModule(input [2:0] in, output [1:0] out);\n"
                              " assign out = undeclared_sig;\nendmodule\n",                              # p
    ("Prob035_count1to10", 2): "module TopModule(input clk, input reset, output reg [3:0] q);\n"
                               " always @(posedge clk or posedge reset) if (reset) q <= 0; else q <= q + 1;\n"
                               "endmodule\n",                                                            # r
    ("Prob035_count1to10", 3): "module TopModule(input clk, input reset, output reg [3:0] q);\n"
                               " initial $finish;\nendmodule\n",                                          # forged
    ("Prob035_count1to10", 4): "module TopModule(input clk, input reset, output [3:0] q);\n"
                               " RefModule r(.clk(clk), .reset(reset), .q(q));\nendmodule\n",           # forged
    ("Prob035_count1to10", 5): "module TopModule(input clk, input reset, output reg [3:0] q);\n"
                               " always @(posedge clk) if (reset || q == 10) q <= 1; else q <= q + 1;\n"
                               " always @(posedge clk) tb.stats1.errors = 0;\nendmodule\n",              # forged
}


def _samples_file(tmp_path: Path, ve: Path) -> Path:
    """Sample 1 of each problem = its reference; the mutants fill the other samples."""
    lines = []
    d = ve / "dataset_spec-to-rtl"
    for pid in SUBSET:
        ref = (d / f"{pid}_ref.sv").read_text().replace("module RefModule", "module TopModule")
        lines.append({"problem": pid, "sample": 1, "completion": ref})
    for (pid, n), text in MUTANTS.items():
        lines.append({"problem": pid, "sample": n, "completion": text})
    f = tmp_path / "samples.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return f


def _official(ve: Path, pid: str, sample_text: str, work: Path) -> str:
    """The official Makefile's recipe, run the way it runs it (bash, no sandbox): compile log,
    then `timeout 30 ./BIN &>> log`, then TIMEOUT on exit 124. Returns the failure class."""
    d = ve / "dataset_spec-to-rtl"
    work.mkdir(parents=True)
    (work / "s.sv").write_text(sample_text)
    script = (f'iverilog {" ".join(COMPILE_FLAGS)} -o bin s.sv {d}/{pid}_test.sv {d}/{pid}_ref.sv &> log; '
              'timeout 30 ./bin &>> log; if [[ $? == 124 ]]; then echo TIMEOUT &>> log; fi')
    subprocess.run(["bash", "-c", script], cwd=work, check=False)
    return classify((work / "log").read_text(errors="replace"), sample_text)[0]


def _records(out: Path) -> dict[tuple[str, int], dict]:
    return {(r["problem"], r["sample"]): r for r in
            (json.loads(p.read_text()) for p in out.glob("samples/*/sample*.json") if ".completion." not in p.name)}


def _cfg(ve: Path, out: Path, **kw) -> BenchConfig:
    base = dict(benchmark="verilog-eval", dataset=ve, out=out, jobs=2)
    base.update(kw)
    return BenchConfig(**base)


def test_parity_with_official_recipe_and_strict_verdicts(tmp_path, verilog_eval_dir):
    ve = verilog_eval_dir
    samples = _samples_file(tmp_path, ve)
    out = tmp_path / "out"
    opts = ProviderOptions(samples_path=samples)
    s = run_bench(_cfg(ve, out, provider="samples", provider_options=opts, samples=5, problems=SUBSET), log=lambda m: None)
    recs = _records(out)
    # parity: every scored sample gets the class the official recipe gives it
    texts = {(json.loads(line)["problem"], json.loads(line)["sample"]): json.loads(line)["completion"]
             for line in samples.read_text().splitlines()}
    for key, text in texts.items():
        assert recs[key]["failure_class"] == _official(ve, key[0], text, tmp_path / f"off-{key[0]}-{key[1]}"), key
    assert {k: recs[k]["failure_class"] for k in [("Prob001_zero", 1), ("Prob001_zero", 2), ("Prob001_zero", 3),
                                                  ("Prob035_count1to10", 2), ("Prob099_m2014_q6c", 1),
                                                  ("Prob082_lfsr32", 1)]} == {
        ("Prob001_zero", 1): ".", ("Prob001_zero", 2): "R", ("Prob001_zero", 3): "S",
        ("Prob035_count1to10", 2): "r", ("Prob099_m2014_q6c", 1): "C", ("Prob082_lfsr32", 1): "T"}
    # forged passes: the official rule is fooled, the strict verdict is not
    for n in (3, 4, 5):
        r = recs[("Prob035_count1to10", n)]
        assert r["official_pass"] and not r["strict_pass"], r
        assert r["reason"].startswith("strict:")
    assert recs[("Prob035_count1to10", 1)]["strict_pass"]
    # samples missing from the file are that sample's failure (class G), not a crash
    assert recs[("Prob105_rotate100", 2)]["failure_class"] == "G"
    assert "no sample 2" in recs[("Prob105_rotate100", 2)]["reason"]
    assert s["total"] == len(SUBSET) * 5
    assert s["passed"] - s["strict_passed"] == 3
    assert {e["id"] for e in s["errata"]} >= {"Prob082_lfsr32", "Prob099_m2014_q6c", "Prob151_review2015_fsm"}
    assert s["tool_versions"]["iverilog"]
    assert (out / "report.html").is_file() and (out / "report.md").is_file()
    assert json.loads((out / "summary.json").read_text())["dataset_digest"] == s["dataset_digest"]


def test_resume_skips_finished_and_redo_rescoring(tmp_path, verilog_eval_dir):
    ve, out = verilog_eval_dir, tmp_path / "out"
    probs = ["Prob001_zero", "Prob009_popcount3", "Prob004_vector2"]
    msgs: list[str] = []
    run_bench(_cfg(ve, out, problems=probs), log=msgs.append)
    first = {k: os.stat(out / r["log"]).st_mtime_ns for k, r in _records(out).items()}
    victim = out / "samples" / "Prob009_popcount3" / "sample01.json"
    victim.unlink()
    msgs.clear()
    s = run_bench(_cfg(ve, out, problems=probs), log=msgs.append)
    assert "2 already scored, 1 to go" in msgs[0]
    again = {k: os.stat(out / r["log"]).st_mtime_ns for k, r in _records(out).items()}
    assert again[("Prob001_zero", 1)] == first[("Prob001_zero", 1)]  # untouched
    assert s["passed"] == 3
    msgs.clear()
    run_bench(_cfg(ve, out, problems=probs, redo=True), log=msgs.append)
    assert "0 already scored, 3 to go" in msgs[0]
    # a different provider in the same dir is refused, not mixed in
    with pytest.raises(ConfigError, match="holds another run"):
        run_bench(_cfg(ve, out, problems=probs, provider="samples",
                       provider_options=ProviderOptions(samples_path=_samples_file(tmp_path, ve))), log=msgs.append)


def test_bad_inputs_fail_clearly(tmp_path, verilog_eval_dir):
    ve = verilog_eval_dir
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"problem": "Prob001_zero", "completion": "module TopModule(output zero); endmodule"}\n{oops\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2"):
        run_bench(_cfg(ve, tmp_path / "o1", provider="samples", provider_options=ProviderOptions(samples_path=bad)),
                  log=lambda m: None)
    with pytest.raises(InputError, match="no problem matches"):
        run_bench(_cfg(ve, tmp_path / "o2", problems=["NoSuch*"]), log=lambda m: None)
    with pytest.raises(InputError, match="no VerilogEval problems"):
        run_bench(_cfg(tmp_path, tmp_path / "o3"), log=lambda m: None)
    with pytest.raises(ConfigError, match="unknown provider"):
        run_bench(_cfg(ve, tmp_path / "o4", provider="nope"), log=lambda m: None)


def test_garbage_and_hostile_completions_do_not_stop_the_batch(tmp_path, verilog_eval_dir):
    ve = verilog_eval_dir
    lines = [
        {"problem": "Prob001_zero", "sample": 1, "completion": "I am sorry, as an AI I cannot write Verilog."},
        {"problem": "Prob001_zero", "sample": 2, "completion": "\x00\xff garbage \ud800"},
        {"problem": "Prob001_zero", "sample": 3,
         "completion": 'module TopModule(output zero);\n initial $system("touch /tmp/pwned");\n assign zero = 0;\nendmodule\n'},
        {"problem": "Prob001_zero", "sample": 4,
         "completion": "module TopModule(output zero);\n assign zero = 0;\n integer i = 0;\n"
                       " initial while (1) i = i + 1;\nendmodule\n"},
        {"problem": "Prob001_zero", "sample": 6,
         "completion": "module TopModule(output zero);\n assign zero = 0;\n initial forever $display(\"spam spam\");\n"
                       "endmodule\n"},
        {"problem": "Prob001_zero", "sample": 5, "completion": "module TopModule(output zero);\n assign zero = 0;\nendmodule\n"},
    ]
    f = tmp_path / "s.jsonl"
    f.write_text("\n".join(json.dumps(x) for x in lines))
    out = tmp_path / "out"
    s = run_bench(_cfg(ve, out, provider="samples", provider_options=ProviderOptions(samples_path=f), samples=6,
                       problems=["Prob001_zero"], timeout_s=5), log=lambda m: None)
    recs = _records(out)
    assert recs[("Prob001_zero", 1)]["failure_class"] in ("S", "C")
    assert not recs[("Prob001_zero", 2)]["official_pass"]
    assert recs[("Prob001_zero", 3)]["failure_class"] == "X" and "$system" in recs[("Prob001_zero", 3)]["reason"]
    assert recs[("Prob001_zero", 4)]["failure_class"] == "T"  # the 5 s timeout, as the official `timeout` does
    assert recs[("Prob001_zero", 5)]["strict_pass"]
    six = recs[("Prob001_zero", 6)]  # a zero-time $display loop: killed for its output, bounded log
    assert not six["official_pass"] and (out / six["log"]).stat().st_size < 1024 * 1024
    assert s["strict_passed"] == 1 and s["total"] == 6
    assert s["pass_at_k"]["1"] == pytest.approx(1 / 6) and s["pass_at_k"]["5"] == pytest.approx(5 / 6)


def test_ctrl_c_keeps_finished_samples_and_resumes(tmp_path, verilog_eval_dir):
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "rtlsmith.cli", "bench", "verilog-eval", "--dataset", str(verilog_eval_dir),
            "--out", str(out), "-j", "1", "--problems", "Prob0[0-4]*"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("samples/*/sample01.json"))) < 3:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    done = len(_records(out))
    assert 3 <= done < 49
    summary = json.loads((out / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["missing"] == 49 - done
    r = subprocess.run(argv + ["--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert f"{done} already scored, {49 - done} to go" in r.stderr
    s = json.loads(r.stdout)
    assert s["total"] == 49 and s["missing"] == 0


@pytest.mark.slow
def test_dask_executor_gives_identical_verdicts(tmp_path, verilog_eval_dir):
    distributed = pytest.importorskip("distributed")
    probs = ["Prob001_zero", "Prob009_popcount3", "Prob099_m2014_q6c", "Prob035_count1to10", "Prob040_count10"]
    local = run_bench(_cfg(verilog_eval_dir, tmp_path / "local", problems=probs), log=lambda m: None)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        d = run_bench(_cfg(verilog_eval_dir, tmp_path / "dask", problems=probs, executor="dask",
                           scheduler=cluster.scheduler_address), log=lambda m: None)
    a, b = _records(tmp_path / "local"), _records(tmp_path / "dask")
    assert {k: (r["failure_class"], r["official_pass"], r["strict_pass"]) for k, r in a.items()} == \
           {k: (r["failure_class"], r["official_pass"], r["strict_pass"]) for k, r in b.items()}
    assert d["passed"] == local["passed"] == 4 and d["executor"] == "dask"


def test_dask_scheduler_unreachable_is_a_config_error(tmp_path, verilog_eval_dir):
    pytest.importorskip("distributed")
    with pytest.raises(ConfigError, match="dask scheduler"):
        run_bench(_cfg(verilog_eval_dir, tmp_path / "o", problems=["Prob001_zero"], executor="dask",
                       scheduler="tcp://127.0.0.1:9"), log=lambda m: None)
