"""VerilogEval v2 (NVlabs/verilog-eval): spec-to-rtl and code-complete-iccad2023.

Official rule, reproduced: ``iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb -o BIN
sample.sv test.sv ref.sv`` then ``timeout 30 ./BIN`` with stdout+stderr appended to one log
(``TIMEOUT`` appended when the 30 s run times out). The log is classified line by line in
the order of the official analysis script: 'syntax error' -> S; the specific messages
-> e 0 n w m c; 'TIMEOUT' -> T; any 'error' -> p ('Unable to bind wire/reg') or C;
else a ``^Mismatches: 0 in N samples$`` line -> pass; else r (the design has an async
reset in its sensitivity list) or R.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from rtlsmith.benchmarks.adapters import Adapter
from rtlsmith.benchmarks.adapters.plain_tb import run_plain_tb, strict_findings
from rtlsmith.benchmarks.core import Problem, ScoreJob, ScoreResult
from rtlsmith.errors import InputError

TASK_DIRS = {"spec-to-rtl": "dataset_spec-to-rtl", "code-complete": "dataset_code-complete-iccad2023"}
COMPILE_FLAGS = ["-Wall", "-Winfloop", "-Wno-timescale", "-g2012", "-s", "tb"]
_MISMATCH_LINE = re.compile(r"^Mismatches: (\d+) in \d+ samples$")
_VERDICT_STMT = re.compile(r'(\$display\("Mismatches: %1d in %1d samples",\s*stats1\.errors,\s*stats1\.clocks\);)')
_REF_MODULE = re.compile(r"\bmodule\s+RefModule\b")

#: (substring, class) checked in order on every line; the first hit decides (official order)
_LINE_RULES: list[tuple[str, str]] = [
    ("syntax error", "S"),
    ("error: This assignment requires an explicit cast", "e"),
    ("error: Sized numeric constant must have a size greater than zero", "0"),
    ("warning: always_comb process has no sensitivities", "n"),
    ("found no sensitivities so it will never trigger", "n"),
    ("is declared here as wire", "w"),
    ("Unknown module type", "m"),
    ("Unable to bind wire/reg/memory `clk'", "c"),
    ("TIMEOUT", "T"),
]
_ASYNC_RESET = ("posedge reset", "negedge reset", "posedge r)")


def classify(log: str, completion_text: str) -> tuple[str, int | None]:
    """(failure class, mismatches) of one combined log under the official VerilogEval rule."""
    any_error = bind_error = zero_mismatch = False
    mismatches = None
    for line in log.splitlines():
        if "syntax error" in line:
            return "S", mismatches
        if "error" in line:
            any_error = True
        for needle, code in _LINE_RULES[1:]:
            if needle in line:
                return code, mismatches
        if "Unable to bind wire/reg" in line:
            bind_error = True
        m = _MISMATCH_LINE.match(line)
        if m:
            n = int(m.group(1))
            if n == 0:
                zero_mismatch = True
            else:
                mismatches = n
    if bind_error:
        return "p", mismatches
    if any_error:
        return "C", mismatches
    if zero_mismatch:
        return ".", 0
    if any(s in line for line in completion_text.splitlines() for s in _ASYNC_RESET):
        return "r", mismatches
    return "R", mismatches


class VerilogEvalAdapter(Adapter):
    name = "verilog-eval"
    tasks = tuple(TASK_DIRS)
    default_task = "spec-to-rtl"
    rule = ("iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb; vvp under a 30 s timeout; pass iff a "
            "'Mismatches: 0 in N samples' line and no error / syntax error / TIMEOUT line")

    def load(self, dataset: Path, task: str) -> list[Problem]:
        if task not in TASK_DIRS:
            raise InputError(f"verilog-eval has no task {task!r}; tasks: {', '.join(TASK_DIRS)}")
        dataset = Path(dataset)
        d = dataset / TASK_DIRS[task] if (dataset / TASK_DIRS[task]).is_dir() else dataset
        prompts = sorted(d.glob("Prob*_prompt.txt"))
        if not prompts:
            raise InputError(f"no VerilogEval problems (Prob*_prompt.txt) under {d}; pass the verilog-eval "
                             f"checkout (with {TASK_DIRS[task]}/) or that folder itself", file=str(d))
        out = []
        for p in prompts:
            pid = p.name[: -len("_prompt.txt")]
            test, ref, ifc = d / f"{pid}_test.sv", d / f"{pid}_ref.sv", d / f"{pid}_ifc.txt"
            missing = [f.name for f in (test, ref) if not f.is_file()]
            if missing:
                raise InputError(f"problem {pid} lacks {', '.join(missing)}", file=str(p))
            ref_text = ref.read_text()
            out.append(Problem(
                id=pid, benchmark=self.name, task=task, prompt=p.read_text(), top="TopModule",
                reference={"sample.sv": _REF_MODULE.sub("module TopModule", ref_text)},
                harness={"test.sv": test.read_text(), "ref.sv": ref_text},
                interface=ifc.read_text() if ifc.is_file() else None))
        return out

    def score(self, job: ScoreJob) -> ScoreResult:
        p = job.problem
        nonce = secrets.token_hex(8)
        test = p.harness["test.sv"]
        injected, n = _VERDICT_STMT.subn(
            r'\1 $display("rtlsmith-verdict-%s: %%1d %%1d", stats1.errors, stats1.clocks);' % nonce, test, count=1)
        # harness names the completion cannot guess (it could otherwise $fopen them to read the nonce)
        tname, rname = f"t{nonce[:6]}_test.sv", f"t{nonce[:6]}_ref.sv"
        sample = "\n".join(job.completion_files.values())
        run = run_plain_tb(label="verilog-eval", sandbox=job.sandbox, completion={"sample.sv": sample},
                           harness={tname: injected, rname: p.harness["ref.sv"]},
                           compile_order=["sample.sv", tname, rname], compile_flags=COMPILE_FLAGS,
                           timeout_s=job.timeout_s, allow_unsafe=job.allow_unsafe, binary=f"b{nonce}",
                           no_waves=True)
        if run.gate_findings:
            return ScoreResult(False, False, "X", "refused by the static gate: " + "; ".join(run.gate_findings[:3]),
                               "", seconds=run.seconds, tool_versions=run.tool_versions)
        if run.infra_error:
            return ScoreResult(False, False, "I", run.infra_error, run.log, seconds=run.seconds,
                               tool_versions=run.tool_versions)
        # show the dataset's file names in logs and reasons, not the per-run ones
        run.log = run.log.replace(tname, f"{p.id}_test.sv").replace(rname, f"{p.id}_ref.sv")
        code, mism = classify(run.log, sample)
        official = code == "."
        reason = _reason(code, mism, run.log)
        strict = official
        if official:
            hits = re.findall(rf"^rtlsmith-verdict-{nonce}: (\d+) (\d+)$", run.log, re.M)
            problems = strict_findings({"sample.sv": sample})
            if n and not (len(hits) == 1 and hits[0][0] == "0" and int(hits[0][1]) > 0):
                strict, reason = False, ("strict: the testbench's own verdict line is missing or not clean: "
                                         "the run ended early ($finish in the design?) or the pass line was forged")
            elif problems:
                strict, reason = False, "strict: " + "; ".join(problems[:3])
        return ScoreResult(official, strict, code, reason, run.log, mismatches=mism, seconds=run.seconds,
                           tool_versions=run.tool_versions)


def _reason(code: str, mism: int | None, log: str) -> str:
    if code == ".":
        return ""
    if code in ("R", "r"):
        return f"{mism} mismatches" if mism else "no 'Mismatches: 0' line (the run ended early or failed)"
    for line in log.splitlines():
        if "error" in line or "TIMEOUT" in line or "sensitivities" in line or "declared here as wire" in line:
            return line.strip()[:300]
    return code
