"""RTLLM v2.0 (hkust-zhiyao/RTLLM): spec-to-rtl, one folder per design.

Layout: ``<category>/<subcategory>/<design>/{design_description.txt, makefile, testbench.v,
verified_*.v, data files}``. The official flow runs, inside the design's folder,
``vcs -sverilog +v2k -timescale=1ns/1ns DESIGN.v testbench.v; ./simv``. Reproduced on Icarus:
``iverilog -g2012 -f cmds.f DESIGN.v testbench.v`` where ``cmds.f`` holds
``+timescale+1ns/1ns`` (Icarus' spelling of VCS's default timescale for files before the first
`` `timescale``), then ``vvp`` in a copy of the folder (testbenches ``$readmemh``/``$fopen``
data files by relative path).

Official verdict: the testbench's pass banner (``Your Design Passed``, spacing varies) is in the
log, no failure banner (``===Error===``, ``===Failed===``, ``Test completed with N
failures|errors`` with N != 0), vvp exited 0 and did not time out. No testbench here prints
``Test completed with 0 failures`` on success (every such line sits in the failure branch), but a
zero count is still not counted as a failure.

Strict verdict: in the same run the testbench is written under a name the completion cannot
guess, its pass-banner string literal(s) carry a per-run nonce, and the data files it reads are
renamed too (a completion could otherwise rewrite the expected values at time 0). Strict pass =
official pass, the nonce banner printed by the testbench, and ``strict_findings`` empty
(no upward hierarchical reference into the testbench, no reference module instantiated).

Not reproduced on purpose: RTLLM's ``auto_run.py`` bookkeeping bugs (it matches any ``Pass``
/``pass`` substring, its pass@k divides by len(designs)+1, ``freq_div``'s makefile compiles a
hard-coded absolute path instead of the sample); we score exactly the designs present.
"""
from __future__ import annotations

import re
import secrets
from pathlib import Path

from rtlsmith.benchmarks.adapters import Adapter
from rtlsmith.benchmarks.adapters.plain_tb import run_plain_tb, strict_findings
from rtlsmith.benchmarks.core import Problem, ScoreJob, ScoreResult
from rtlsmith.errors import InputError

TASKS = ("spec-to-rtl",)
#: VCS ``-timescale=1ns/1ns``: the default for design units before any `timescale directive
TIMESCALE_CMDS = "+timescale+1ns/1ns\n"
COMPILE_FLAGS = ["-g2012"]
TESTBENCH = "testbench.v"
#: folder files that are neither harness nor shown to the model
_NOT_HARNESS = {"design_description.txt", "makefile", "Makefile"}

PASS_RE = re.compile(r"Your\s*Design\s*Passed", re.I)
#: failure banners: ``===Error===`` / ``=== Failed ===`` (text between runs of '='), and the
#: count line ``Test completed with N failures`` (also ``N /100``, ``N/20``, ``N errors.``)
_FAIL_BANNER_RE = re.compile(r"={3,}\s*(?:Error|Fail(?:ed|ure)?)\s*={3,}", re.I)
_COUNT_RE = re.compile(r"Test\s+completed\s+with\s+(-?\d+)\s*(?:/\s*\d+\s*)?(?:failures?|errors?)", re.I)
_STRING_LIT_RE = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_TEST_DESIGN_RE = re.compile(r"^\s*TEST_DESIGN\s*[:?]?=\s*(\S+)", re.M)
_DESC_MODULE_RE = re.compile(r"Module\s+name\s*:?\s*\n?\s*`?(\w+)", re.I)
_MODULE_DECL_RE = re.compile(r"\bmodule\s+(\w+)")
_COMMENT_RE = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def _strip_comments(text: str) -> str:
    return _COMMENT_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _instantiates(tb: str, name: str) -> bool:
    """Does the testbench (comments stripped) instantiate module ``name``?"""
    tb = _STRING_LIT_RE.sub('""', tb)
    return re.search(rf"(?<![\w$.`]){re.escape(name)}(?:\s*#\s*\(|\s+[A-Za-z_\\][\w$]*\s*[(\[])", tb) is not None


def official_verdict(log: str, returncode: int | None, timed_out: bool) -> tuple[bool, str, int | None]:
    """(pass, reason, failure count) of one run log under RTLLM's rule."""
    count = None
    fail_line = None
    for line in log.splitlines():
        m = _COUNT_RE.search(line)
        if m:
            n = int(m.group(1))
            count = n if count is None else count + n
            if n != 0 and fail_line is None:
                fail_line = line.strip()
        elif _FAIL_BANNER_RE.search(line) and fail_line is None:
            fail_line = line.strip()
    passed = PASS_RE.search(log) is not None
    if timed_out:
        return False, "timeout" + (" (the pass banner had been printed)" if passed else ""), count
    if fail_line:
        return False, f"failure banner: {fail_line[:200]}", count
    if not passed:
        return False, "no pass banner (the run ended without 'Your Design Passed')", count
    if returncode != 0:
        return False, f"simulator exited {returncode}", count
    return True, "", count


def inject_nonce(tb: str, nonce: str) -> tuple[str, int]:
    """The testbench with ``rtlsmith-<nonce>`` appended to each pass banner inside string literals."""
    tag = f"rtlsmith-{nonce}"

    def lit(m: re.Match) -> str:
        return PASS_RE.sub(lambda b: f"{b.group(0)} {tag}", m.group(0))

    out, n = [], 0
    pos = 0
    for m in _STRING_LIT_RE.finditer(tb):
        out.append(tb[pos:m.start()])
        s = m.group(0)
        if PASS_RE.search(s):
            n += 1
            s = lit(m)
        out.append(s)
        pos = m.end()
    out.append(tb[pos:])
    return "".join(out), n


class RtllmAdapter(Adapter):
    name = "rtllm"
    tasks = TASKS
    default_task = "spec-to-rtl"
    rule = ("iverilog -g2012 (+timescale+1ns/1ns, as vcs -timescale=1ns/1ns) DESIGN.v testbench.v; vvp in the "
            "design folder copy; pass iff a 'Your Design Passed' banner, no Error/Failed/'Test completed with "
            "N failures' (N!=0) banner, exit 0, no timeout")

    def load(self, dataset: Path, task: str) -> list[Problem]:
        if task not in TASKS:
            raise InputError(f"rtllm has no task {task!r}; tasks: {', '.join(TASKS)}")
        dataset = Path(dataset)
        if not dataset.is_dir():
            raise InputError(f"RTLLM dataset {dataset} is not a directory", file=str(dataset))
        folders = sorted({p.parent for p in dataset.rglob("makefile") if (p.parent / TESTBENCH).is_file()})
        if not folders:
            raise InputError(f"no RTLLM designs (folders with makefile + testbench.v) under {dataset}; pass the "
                             "RTLLM checkout", file=str(dataset))
        names = [f.name for f in folders]
        dup = {n for n in names if names.count(n) > 1}
        out = []
        for folder in folders:
            rel = folder.relative_to(dataset)
            pid = folder.name if folder.name not in dup else "/".join(rel.parts)
            out.append(self._problem(pid, folder, rel, task))
        return out

    def _problem(self, pid: str, folder: Path, rel: Path, task: str) -> Problem:
        def read(p: Path) -> str:
            return p.read_bytes().decode("utf-8", "surrogateescape")

        tb = read(folder / TESTBENCH)
        tb_code = _strip_comments(tb)
        mk = read(folder / "makefile")
        m = _TEST_DESIGN_RE.search(mk)
        test_design = m.group(1) if m else None
        desc_path = folder / "design_description.txt"
        if not desc_path.is_file():
            raise InputError(f"design {pid} has no design_description.txt", file=str(folder))
        prompt = read(desc_path)
        dm = _DESC_MODULE_RE.search(prompt)
        desc_module = dm.group(1) if dm else None
        verified = sorted(folder.glob("verified_*.v"))
        ref_text = read(verified[0]) if verified else None
        declared = _MODULE_DECL_RE.findall(_strip_comments(ref_text)) if ref_text else []

        # top = the module the testbench instantiates; the makefile's TEST_DESIGN is only a file
        # name (wrong for two designs: multi_pipe vs multi_pipe_4bit, fixed_point_substractor vs
        # fixed_point_subtractor), so it is one candidate among several
        candidates = [c for c in (test_design, folder.name, desc_module,
                                  *(d[len("verified_"):] if d.startswith("verified_") else d for d in declared)) if c]
        top = next((c for c in candidates if _instantiates(tb_code, c)), test_design or folder.name)
        notes = []
        if test_design and test_design != top:
            notes.append(f"makefile TEST_DESIGN={test_design} but the testbench instantiates {top}")
        if not re.search(r"\$[({]TEST_DESIGN[)}]", mk):
            notes.append("the makefile does not compile ${TEST_DESIGN}.v (RTLLM's auto_run.py cannot substitute "
                         "the sample there)")
        if desc_module and desc_module != top:
            notes.append(f"the description names module {desc_module} but the testbench instantiates {top}")

        reference: dict[str, str] = {}
        if ref_text is not None:
            if top not in declared:
                vnames = [d for d in declared if d.startswith("verified_")]
                if len(vnames) == 1:
                    ref_text = re.sub(rf"\bmodule\s+{re.escape(vnames[0])}\b", f"module {top}", ref_text, count=1)
                    if vnames[0] != f"verified_{top}":
                        notes.append(f"reference module {vnames[0]} renamed to {top}")
                else:
                    notes.append(f"reference {verified[0].name} declares no module {top} (modules: {declared})")
            reference = {f"{top}.v": ref_text}
        harness = {TESTBENCH: tb}
        for f in sorted(folder.iterdir()):
            if f.is_file() and f.name != TESTBENCH and f.name not in _NOT_HARNESS \
                    and not (f.name.startswith("verified_") and f.suffix == ".v"):
                harness[f.name] = read(f)
        return Problem(
            id=pid, benchmark=self.name, task=task, prompt=prompt, top=top, reference=reference,
            harness=harness, completion_file=f"{top}.v",
            meta={"folder": str(rel), "category": rel.parts[0] if len(rel.parts) > 1 else "",
                  "test_design": test_design, "description_module": desc_module, "notes": notes})

    def score(self, job: ScoreJob) -> ScoreResult:
        p = job.problem
        nonce = secrets.token_hex(8)
        tb, n_banners = inject_nonce(p.harness[TESTBENCH], nonce)
        # harness names the completion cannot guess: the testbench (it holds the nonce) and every
        # data file it reads by name (a completion could rewrite expected values before they load)
        tname = f"t{nonce[:8]}_tb.v"
        harness: dict[str, str] = {}
        renamed = {tname: TESTBENCH}
        for name, text in p.harness.items():
            if name == TESTBENCH:
                continue
            lit = f'"{name}"'
            if lit in tb:
                new = f"d{nonce[:8]}_{name}"
                tb = tb.replace(lit, f'"{new}"')
                harness[new] = text
                renamed[new] = name
            else:
                harness[name] = text
        cmds = f"c{nonce[:8]}.f"
        harness[tname] = tb
        harness[cmds] = TIMESCALE_CMDS
        sample = "\n".join(job.completion_files.values())
        run = run_plain_tb(label="rtllm", sandbox=job.sandbox, completion={p.completion_file: sample},
                           harness=harness, compile_order=[p.completion_file, tname],
                           compile_flags=[*COMPILE_FLAGS, "-f", cmds], timeout_s=job.timeout_s,
                           allow_unsafe=job.allow_unsafe, binary=f"b{nonce}")
        # logs and reasons name the dataset's files, not this run's random names
        for tmp, orig in renamed.items():
            run.log = run.log.replace(tmp, orig)
        if run.gate_findings:
            return ScoreResult(False, False, "X", "refused by the static gate: " + "; ".join(run.gate_findings[:3]),
                               "", seconds=run.seconds, tool_versions=run.tool_versions)
        if run.infra_error:
            return ScoreResult(False, False, "I", run.infra_error, run.log, seconds=run.seconds,
                               tool_versions=run.tool_versions)
        if not run.compiled:
            code = "S" if "syntax error" in run.log else "C"
            first = next((ln.strip() for ln in run.log.splitlines() if re.search(r"error|sorry", ln, re.I)), "")
            return ScoreResult(False, False, code, (first or f"iverilog exited {run.returncode}")[:300], run.log,
                               seconds=run.seconds, tool_versions=run.tool_versions)
        official, reason, count = official_verdict(run.log, run.returncode, run.timed_out)
        code = "." if official else ("T" if run.timed_out else "R")
        strict = official
        if official:
            problems = strict_findings({p.completion_file: sample})
            if n_banners == 0:
                reason = "strict = official: the testbench has no pass-banner string to carry a nonce"
            elif not re.search(PASS_RE.pattern + r" rtlsmith-" + nonce, run.log, re.I):
                strict, reason = False, ("strict: the testbench's own pass banner is missing: the pass line was "
                                         "printed by the design or the run ended early ($finish in the design?)")
            if strict and problems:
                strict, reason = False, "strict: " + "; ".join(problems[:3])
        return ScoreResult(official, strict, code, reason, run.log, mismatches=count, seconds=run.seconds,
                           tool_versions=run.tool_versions)
