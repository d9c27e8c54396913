"""Command-line entry point: ``rtlsmith <command> ...``. Subcommands import lazily."""
from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

from rtlsmith import __version__
from rtlsmith.errors import RtlsmithError

EPILOG = """exit codes: 0 ok; 1 verdict failed (lint errors, failing tests, ...); 2 bad input or
config; 3 tool error; 4 sandbox unavailable; 5 sandbox policy violation; 130 interrupted."""


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sandbox", choices=["auto", "bwrap", "docker", "local"], default=None,
                   help="where tools run (default: $RTLSMITH_SANDBOX or auto = docker > bwrap > local)")
    p.add_argument("--no-cache", action="store_true", help="ignore and do not write the result cache")
    p.add_argument("--allow-unsafe", action="append", default=[], metavar="TASK",
                   help="permit a refused construct, e.g. --allow-unsafe '$fopen' (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the run directory (logs, build) after success")
    p.add_argument("--json", action="store_true", help="machine-readable output on stdout")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="rtlsmith", description="Spec to verified, synthesised RTL: "
                                 "lint, cocotb simulation and Yosys PPA in a sandbox.", epilog=EPILOG,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--version", action="version", version=f"rtlsmith {__version__}")
    ap.add_argument("--config", type=Path, help="config file (default: ./rtlsmith.toml, then "
                    "~/.config/rtlsmith/config.toml); precedence: command line > config > env > defaults")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("lint", help="lint HDL with Verilator --lint-only and Icarus elaboration")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", help="top module (default: let the tools pick)")
    p.add_argument("--linter", action="append", choices=["verilator", "iverilog"],
                   help="run only this linter (repeatable; default both)")
    _common(p)

    p = sub.add_parser("sim", help="run a self-checking Verilog/SV testbench",
                       description="Compile and run a plain testbench. Verdict: exit 0, no "
                       "'Mismatches: N' with N>0, no ERROR/FATAL/FAIL/TIMEOUT line.")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", required=True, help="testbench top module")
    p.add_argument("--sim", choices=["icarus", "verilator"], default="icarus")
    p.add_argument("--timeout", type=float, default=30.0, help="simulation wall timeout, s (default 30)")
    p.add_argument("--plusarg", action="append", default=[], help="+arg passed to the simulation")
    _common(p)

    p = sub.add_parser("synth", help="synthesise with Yosys and report PPA (cells, area, depth, Fmax)")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--top", required=True)
    p.add_argument("--period", type=float, default=10.0, help="clock period for STA, ns (default 10)")
    p.add_argument("--clock", help="clock port name (default: clk/clock/... or a virtual clock)")
    p.add_argument("--liberty", default="auto",
                   help="liberty file for area/timing (default: Debian's OSU 0.18um cells); 'none' to skip")
    p.add_argument("--fpga", choices=["ice40"], help="also place and route on an iCE40 HX8K for FPGA Fmax")
    _common(p)

    p = sub.add_parser("regress", help="run every RTL template's cocotb tests and print a table")
    p.add_argument("--sim", choices=["icarus", "verilator"], action="append",
                   help="simulator (repeatable; default icarus)")
    p.add_argument("--family", action="append", help="only this family (repeatable)")
    p.add_argument("--seed", type=int, default=1, help="random seed passed to the tests (default 1)")
    _common(p)

    p = sub.add_parser("flow", help="template flow: generate -> lint -> cocotb sim -> synth, print sim + PPA")
    p.add_argument("family", help="template family (see `rtlsmith regress`)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="generator parameter override (repeatable), e.g. -p ROWS=4")
    p.add_argument("--sim", choices=["icarus", "verilator"], default="icarus")
    p.add_argument("--out", type=Path, help="write RTL, sim.json and ppa.json here")
    p.add_argument("--seed", type=int, default=1)
    _common(p)

    p = sub.add_parser("design", help="spec -> verified, synthesised RTL (offline: template designer with DSE)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Design RTL from a spec (Markdown with YAML front matter: family, params,\n"
                       "ranges, targets: max_cells / max_area_um2 / min_fmax_mhz / max_latency_cycles,\n"
                       "objective). The template provider explores the open parameters against Yosys +\n"
                       "OpenSTA PPA, verifies the chosen point with the family's cocotb tests and writes\n"
                       "OUT/{rtl/, tests/, report.md, ppa.json, dse.json, design.json, pareto.png, waveform.png}.",
                       epilog="examples:\n  rtlsmith design rtl_templates/examples/gemm_8x8_int8.md --out out/gemm\n"
                       "  rtlsmith design spec.md --sim icarus --sim verilator --json\n\n" + EPILOG)
    p.add_argument("spec", type=Path, nargs="?", help="spec file (Markdown + YAML front matter)")
    p.add_argument("--provider", default="template", help="template (offline, default) | openai (agent loop)")
    p.add_argument("--resume", metavar="RUN_ID", help="openai: continue an interrupted agent run (its dir under "
                   "out/runs, or --out)")
    a = p.add_argument_group("agent loop (--provider openai)")
    a.add_argument("--model", help="model name")
    a.add_argument("--base-url", help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL)")
    a.add_argument("--api-key-env", default="OPENAI_API_KEY")
    a.add_argument("--temperature", type=float, default=0.2)
    a.add_argument("--retries", type=int, default=4, help="retries on 429/5xx/connection errors")
    a.add_argument("--max-iterations", type=int, help="iterations per stage (designer, test author, judge)")
    a.add_argument("--max-cost", type=float, help="USD budget (default 5)")
    a.add_argument("--max-tokens", type=int, help="token budget (default 400k)")
    a.add_argument("--max-time", type=float, help="wall-time budget, s (default 1800)")
    a.add_argument("--price", action="append", default=[], metavar="MODEL=IN,OUT",
                   help="USD per 1M prompt/completion tokens (overrides the built-in table)")
    p.add_argument("--out", type=Path, help="output dir (default out/design/SPEC-NAME)")
    p.add_argument("--sim", choices=["icarus", "verilator"], action="append", help="verification simulators "
                   "(repeatable; default icarus)")
    p.add_argument("--jobs", "-j", type=int, help="parallel synthesis runs in the DSE (default: CPUs)")
    p.add_argument("--max-points", type=int, help="override the spec's DSE budget")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-waveform", action="store_true", help="skip the waveform PNG")
    _common(p)

    p = sub.add_parser("bench", help="score a provider (reference, samples, an LLM) on VerilogEval, RTLLM or CVDP",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Score completions by each benchmark's official rule, in the sandbox.\n"
                       "Results go to OUT (one record per sample, summary.json, report.md, report.html);\n"
                       "re-running the same command resumes: finished samples are skipped (--redo forces).\n"
                       "Headline = strict verdict (the official rule plus checks that the completion\n"
                       "did not forge it); the official verdict is reported beside it for parity.",
                       epilog="examples:\n"
                       "  rtlsmith bench verilog-eval --dataset ../shared/benchmarks/verilog-eval --provider reference\n"
                       "  rtlsmith bench rtllm --dataset ../shared/benchmarks/rtllm --provider samples --samples-from answers.jsonl\n"
                       "  rtlsmith bench verilog-eval --dataset DIR --provider openai --model gpt-4o --samples 5 --problems 'Prob0*'\n"
                       "  rtlsmith bench cvdp --dataset ../shared/benchmarks/cvdp/examples.jsonl --executor dask "
                       "--scheduler tcp://10.0.0.5:8786\n\n" + EPILOG)
    p.add_argument("benchmark", choices=["verilog-eval", "rtllm", "cvdp", "accelbench"])
    p.add_argument("--dataset", type=Path, help="the benchmark's data (a checkout or file); never copied. "
                   "Required except for accelbench (default: its built-in tasks)")
    p.add_argument("--task", help="verilog-eval: spec-to-rtl (default) | code-complete; cvdp: non-agentic | agentic")
    p.add_argument("--provider", default="reference",
                   help="reference | samples | openai | agent | template (accelbench) (default reference)")
    p.add_argument("--samples", type=int, default=1, metavar="N", help="samples per problem (pass@k needs k <= N)")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 2, help="parallel scoring jobs (default: CPUs)")
    p.add_argument("--out", type=Path, help="output dir (default out/bench/BENCHMARK-TASK-PROVIDER[-MODEL])")
    p.add_argument("--problems", action="append", default=[], metavar="GLOB",
                   help="only problems whose id matches (repeatable or comma-separated), e.g. 'Prob00*'")
    p.add_argument("--redo", action="store_true", help="discard the finished samples in OUT and score everything again")
    p.add_argument("--timeout", type=float, default=30.0, help="simulation wall timeout per sample, s (default 30, "
                   "VerilogEval's)")
    p.add_argument("--executor", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://HOST:8786 (with --executor dask)")
    p.add_argument("--k", type=int, action="append", help="pass@k values to report (repeatable; default 1 5 10)")
    g = p.add_argument_group("provider options")
    g.add_argument("--samples-from", type=Path, help="samples provider: JSONL or a dir of ID_sampleNN.sv files")
    g.add_argument("--model", help="openai provider: model name")
    g.add_argument("--base-url", help="openai provider: endpoint (default $OPENAI_BASE_URL or api.openai.com)")
    g.add_argument("--api-key-env", default="OPENAI_API_KEY", help="env var with the API key (default OPENAI_API_KEY)")
    g.add_argument("--temperature", type=float, default=0.8)
    g.add_argument("--top-p", type=float, default=0.95)
    g.add_argument("--max-tokens", type=int, default=4096)
    g.add_argument("--retries", type=int, default=4, help="retries on 429/5xx/connection errors, with backoff")
    g.add_argument("--concurrency", type=int, default=4, help="LLM requests in flight (default 4)")
    g.add_argument("--seed", type=int, help="base seed sent to the model (sample n gets seed+n)")
    g.add_argument("--golden-tb", action="store_true", help="agent provider: let the agent see the golden testbench")
    p.add_argument("--sandbox", choices=["auto", "bwrap", "docker", "local"], default=None,
                   help="where simulations run (default: $RTLSMITH_SANDBOX or auto = docker > bwrap > local)")
    p.add_argument("--allow-unsafe", action="append", default=[], metavar="TASK",
                   help="permit a construct the static gate refuses in completions (repeatable)")
    p.add_argument("--json", action="store_true", help="print summary.json on stdout")

    p = sub.add_parser("sandbox", help="manage the docker toolchain image")
    ssub = p.add_subparsers(dest="sandbox_cmd", required=True, metavar="ACTION")
    b = ssub.add_parser("build-image", help="build the pinned toolchain image with no registry "
                        "(debootstrap Debian trixie + docker import + sandbox/docker/Dockerfile); needs root")
    b.add_argument("--with-nextpnr", action="store_true", help="also install nextpnr-ice40 (+220 MB)")
    b.add_argument("--force", action="store_true", help="rebuild even if the tag exists")
    b.add_argument("--workdir", type=Path, help="where the root filesystem is assembled "
                   "(default /var/cache/rtlsmith/image-build)")
    b.add_argument("--json", action="store_true")

    p = sub.add_parser("doctor", help="which sandbox backends work, tool versions, and fixes")
    p.add_argument("--json", action="store_true")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.simplefilter("default")
    warnings.formatwarning = lambda msg, cat, *a, **k: f"rtlsmith: warning: {msg}\n"
    try:
        from rtlsmith import commands
        return getattr(commands, f"cmd_{args.command}")(args)
    except RtlsmithError as e:
        print(f"rtlsmith: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("rtlsmith: interrupted", file=sys.stderr)
        return 130


def dump_json(obj) -> None:
    print(json.dumps(obj, indent=2, default=str))


if __name__ == "__main__":
    sys.exit(main())
