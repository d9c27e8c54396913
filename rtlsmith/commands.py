"""Implementations of the CLI subcommands (imported lazily by rtlsmith.cli)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rtlsmith.cli import dump_json
from rtlsmith.errors import ConfigError

out = Console(highlight=False, width=None if sys.stdout.isatty() else 132)
err = Console(stderr=True, highlight=False)


def _ctx(args: argparse.Namespace):
    from rtlsmith.config import load_config
    from rtlsmith.eda_tools.base import EdaContext
    cfg = load_config(args.config)
    if cfg.sandbox.docker_image and not os.environ.get("RTLSMITH_DOCKER_IMAGE"):
        os.environ["RTLSMITH_DOCKER_IMAGE"] = cfg.sandbox.docker_image
    # command line > config file > environment ($RTLSMITH_SANDBOX, read by get_backend) > auto
    return EdaContext(sandbox=args.sandbox or cfg.sandbox.backend, cache=not args.no_cache and cfg.cache.enabled,
                      keep=args.keep, allow_unsafe=frozenset(args.allow_unsafe))


def _files(paths: list[Path]):
    from rtlsmith.types import DesignFiles
    return DesignFiles.from_paths(paths)


def cmd_lint(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.lint import lint
    from rtlsmith.eda_tools.parsers.hdl_logs import format_for_llm
    res = lint(_files(args.files), top=args.top, linters=tuple(args.linter or ("verilator", "iverilog")),
               ctx=_ctx(args))
    if args.json:
        dump_json([d.model_dump(mode="json") for d in res.diagnostics])
    else:
        if res.diagnostics:
            out.print(format_for_llm(res.diagnostics, max_items=50), markup=False)
        n_err = len(res.errors)
        out.print(f"\n{'FAIL' if n_err else 'OK'}: {n_err} error(s), {len(res.diagnostics) - n_err} warning(s) "
                  f"in {res.seconds:.2f} s{' (cached)' if res.cached else ''}", markup=False)
    return 0 if res.ok else 1


def _print_sim(res) -> None:
    verdict = "[green]PASS[/]" if res.passed else "[red]FAIL[/]"
    out.print(f"{verdict} {res.simulator}" + (f": {res.error}" if res.error else "")
              + f"  ({res.seconds:.2f} s{', cached' if res.cached else ''})")
    for t in res.tests:
        out.print(f"  {'pass' if t.passed else 'FAIL'}  {t.name}" + (f": {t.message}" if t.message else ""),
                  markup=False)
    if res.diagnostics:
        from rtlsmith.eda_tools.parsers.hdl_logs import format_for_llm
        out.print(format_for_llm(res.diagnostics), markup=False)
    if res.log_tail and not res.passed:
        out.print("--- log tail ---\n" + res.log_tail, markup=False)
    if res.log_path and not res.passed:
        out.print(f"full log: {res.log_path}", markup=False)


def cmd_sim(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.simulate import run_testbench
    res = run_testbench(_files(args.files), args.top, args.sim, timeout=args.timeout,
                        plusargs=args.plusarg, ctx=_ctx(args))
    if args.json:
        dump_json(res.model_dump(mode="json"))
    else:
        _print_sim(res)
        if res.passed:
            out.print("--- log tail ---\n" + "\n".join(res.log_tail.splitlines()[-10:]), markup=False)
    return 0 if res.passed else 1


def _print_ppa(rep) -> None:
    t = Table(title=f"PPA of {rep.top}" + (" (cached)" if rep.cached else f" ({rep.seconds:.1f} s)"))
    t.add_column("metric")
    t.add_column("value")
    for k, v in rep.summary_rows():
        t.add_row(k, v)
    top = sorted(rep.cell_types.items(), key=lambda kv: -kv[1])[:6]
    t.add_row("top cell types", ", ".join(f"{k}:{v}" for k, v in top))
    out.print(t)


def cmd_synth(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.synth import synth
    lib = None if str(args.liberty).lower() == "none" else args.liberty
    rep = synth(_files(args.files), args.top, liberty=lib, period_ns=args.period, clock=args.clock,
                fpga=args.fpga, ctx=_ctx(args))
    if args.json:
        dump_json(rep.model_dump(mode="json"))
    else:
        _print_ppa(rep)
    return 0


def _parse_params(items: list[str]) -> dict:
    params = {}
    for it in items:
        if "=" not in it:
            raise ConfigError(f"parameter {it!r} must look like NAME=VALUE")
        k, v = it.split("=", 1)
        try:
            params[k.strip()] = json.loads(v)
        except ValueError:
            params[k.strip()] = v
    return params


def cmd_regress(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.flow import template_tests
    from rtlsmith.rtl_templates import discover, get
    fams = [get(f) for f in args.family] if args.family else list(discover().values())
    if not fams:
        raise ConfigError("no template families found")
    sims = args.sim or ["icarus"]
    ctx = _ctx(args)
    rows, ok = [], True
    t_all = time.monotonic()
    for tpl in fams:
        for params in tpl.regress_sets():
            for sim in sims:
                if not args.json:
                    err.print(f"[dim]running {tpl.family} {_pstr(params)} on {sim} ...[/]")
                res = template_tests(tpl, dict(params), sim, args.seed, ctx)
                ok &= res.passed
                rows.append({"family": tpl.family, "params": dict(params), "sim": sim,
                             "tests": len(res.tests), "passed": sum(t.passed for t in res.tests),
                             "verdict": "pass" if res.passed else "FAIL", "seconds": round(res.seconds, 2),
                             "cached": res.cached, "error": res.error, "log": res.log_path})
    if args.json:
        dump_json({"ok": ok, "rows": rows, "seconds": round(time.monotonic() - t_all, 2)})
        return 0 if ok else 1
    t = Table(title="rtlsmith regress")
    for c in ("family", "params", "sim", "tests", "pass", "verdict", "sim s"):
        t.add_column(c)
    for r in rows:
        t.add_row(r["family"], _pstr(r["params"]), r["sim"], str(r["tests"]), str(r["passed"]),
                  "[green]pass[/]" if r["verdict"] == "pass" else "[red]FAIL[/]",
                  f"{r['seconds']:.2f}" + (" (c)" if r["cached"] else ""))
    out.print(t)
    for r in rows:
        if r["verdict"] != "pass":
            out.print(f"[red]{r['family']} {r['sim']}[/]: {r['error']}  log: {r['log']}")
    out.print(f"{sum(r['verdict'] == 'pass' for r in rows)}/{len(rows)} runs passed in "
              f"{time.monotonic() - t_all:.1f} s")
    return 0 if ok else 1


def _pstr(params: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())


def cmd_flow(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.flow import template_flow
    from rtlsmith.rtl_templates import get
    tpl = get(args.family)
    params = tpl.params(_parse_params(args.param))
    err.print(f"[bold]{tpl.family}[/] {_pstr(params)}: {tpl.summary}")
    res = template_flow(tpl, params, args.sim, args.seed, _ctx(args), progress=lambda m: err.print(f"[dim]{m}[/]"))
    lr, sim, ppa = res.lint, res.sim, res.ppa
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        res.files.write(args.out / "rtl")
        (args.out / "sim.json").write_text(sim.model_dump_json(indent=2))
        (args.out / "ppa.json").write_text(ppa.model_dump_json(indent=2))
        (args.out / "lint.json").write_text(lr.model_dump_json(indent=2))
    if args.json:
        dump_json({"family": tpl.family, "params": params, "lint": lr.model_dump(mode="json"),
                   "sim": sim.model_dump(mode="json"), "ppa": ppa.model_dump(mode="json"),
                   "seconds": round(res.seconds, 2)})
    else:
        n_err, n_warn = len(lr.errors), len(lr.diagnostics) - len(lr.errors)
        out.print(f"lint: {'[green]clean[/]' if lr.ok else '[red]errors[/]'} ({n_err} errors, {n_warn} warnings)")
        _print_sim(sim)
        _print_ppa(ppa)
        out.print(f"total {res.seconds:.2f} s" + (f"; files in {args.out}" if args.out else ""))
    return 0 if res.ok else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    from rtlsmith.sandbox.image import build_image
    info = build_image(args.workdir, with_nextpnr=args.with_nextpnr, force=args.force,
                       say=lambda m: err.print(f"[dim]{m}[/]"))
    if args.json:
        dump_json(info.__dict__)
    else:
        out.print(f"{'built' if info.built else 'up to date'}: {info.tag}  {info.size_mb:.0f} MB"
                  + (f" in {info.seconds:.0f} s" if info.built else ""))
        for k, v in sorted(info.tool_versions.items()):
            out.print(f"  {k:10s} {v}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from rtlsmith.eda_tools.tools import OSU018_LIBERTY, TOOLS, find_tool, tool_version
    from rtlsmith.sandbox.backends import BACKENDS
    from rtlsmith.errors import ToolNotFoundError
    tools = {}
    for name, spec in TOOLS.items():
        try:
            p = find_tool(name)
            tools[name] = {"path": str(p), "version": tool_version(name)}
        except ToolNotFoundError:
            tools[name] = {"path": None, "version": None, "fix": spec.install_hint, "env_var": spec.env_var}
    backends = {}
    for name, cls in BACKENDS.items():
        ok, why = cls().available()
        backends[name] = {"ok": ok, "detail": why}
    lib = {"path": str(OSU018_LIBERTY), "ok": OSU018_LIBERTY.is_file(),
           "fix": "apt-get install qflow-tech-osu018"}
    from rtlsmith.sandbox import get_backend
    from rtlsmith.sandbox.image import image_tag, image_versions
    chosen = get_backend("auto").name
    image = {"tag": image_tag(), "tool_versions": image_versions(image_tag()) if backends["docker"]["ok"] else {},
             "fix": "rtlsmith sandbox build-image (needs root and a running dockerd)"}
    if args.json:
        dump_json({"tools": tools, "backends": backends, "auto_backend": chosen, "liberty": lib, "image": image})
        return 0
    t = Table(title="tools")
    for c in ("tool", "version", "path / fix"):
        t.add_column(c)
    for n, d in tools.items():
        t.add_row(n, d["version"] or "[red]missing[/]", d["path"] or f"{d['fix']} (or set {d['env_var']})")
    out.print(t)
    t = Table(title="sandbox backends")
    for c in ("backend", "usable", "detail"):
        t.add_column(c)
    for n, d in backends.items():
        t.add_row(n, "[green]yes[/]" if d["ok"] else "[red]no[/]", d["detail"])
    out.print(t)
    out.print(f"auto picks: [bold]{chosen}[/]")
    if image["tool_versions"]:
        out.print(f"docker image {image['tag']}: " + ", ".join(f"{k} {v}" for k, v in sorted(image["tool_versions"].items())))
    else:
        out.print(f"docker image {image['tag']}: not available ({backends['docker']['detail']}); fix: {image['fix']}")
    out.print(f"liberty: {lib['path']} {'ok' if lib['ok'] else 'missing: ' + lib['fix']}")
    return 0 if all(d["path"] for k, d in tools.items() if k in ("iverilog", "vvp", "yosys", "verilator")) else 1


def cmd_bench(args: argparse.Namespace) -> int:
    from rtlsmith.benchmarks.harness import BenchConfig, run_bench
    from rtlsmith.benchmarks.providers import ProviderOptions
    from rtlsmith.config import load_config
    cfg = load_config(args.config)
    opts = ProviderOptions(model=args.model, base_url=args.base_url, api_key_env=args.api_key_env,
                           temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens,
                           retries=args.retries, concurrency=args.concurrency, samples_path=args.samples_from,
                           golden_tb=args.golden_tb, seed=args.seed)
    task = args.task
    if args.dataset is None:
        if args.benchmark != "accelbench":
            raise ConfigError(f"bench {args.benchmark} needs --dataset PATH (the benchmark's data is not shipped)")
        from rtlsmith.benchmarks.adapters.accelbench import BUILTIN_TASKS
        args.dataset = BUILTIN_TASKS
    out_dir = args.out or Path("out/bench") / "-".join(
        x.replace("/", "_") for x in (args.benchmark, task or "default", args.provider, args.model) if x)
    bc = BenchConfig(benchmark=args.benchmark, dataset=args.dataset, out=out_dir, task=task, provider=args.provider,
                     provider_options=opts, samples=args.samples, jobs=args.jobs, problems=args.problems,
                     redo=args.redo, executor=args.executor, scheduler=args.scheduler,
                     sandbox=args.sandbox or cfg.sandbox.backend, timeout_s=args.timeout,
                     allow_unsafe=frozenset(args.allow_unsafe), ks=args.k or [1, 5, 10])
    try:
        s = run_bench(bc, log=lambda m: err.print(m, markup=False, soft_wrap=True))
    except KeyboardInterrupt:
        err.print(f"interrupted: finished samples and a partial summary are in {out_dir}", markup=False)
        return 130
    if args.json:
        dump_json(s)
        return 0 if s["total"] else 1
    tot = s["total"] or 1
    out.print(f"{s['benchmark']}/{s['task']} provider={s['provider']}"
              f"{' model=' + s['model'] if s['model'] else ''}: "
              f"[bold]strict {s['strict_passed']}/{s['total']} ({100 * s['strict_passed'] / tot:.1f}%)[/bold], "
              f"official rule {s['passed']}/{s['total']} ({100 * s['passed'] / tot:.1f}%)"
              + (f", {s['skipped']} skipped" if s["skipped"] else "") + f" in {s['seconds']:.1f} s")
    if s["pass_at_k"]:
        out.print("pass@k (official): " + ", ".join(f"@{k}={v:.3f}" for k, v in s["pass_at_k"].items())
                  + "; strict: " + ", ".join(f"@{k}={v:.3f}" for k, v in s["strict_pass_at_k"].items()))
    if s["by_class"]:
        out.print("classes: " + ", ".join(f"{k}={v}" for k, v in s["by_class"].items()))
    if s["errata"]:
        ex = s["excluding_errata"]
        out.print(f"errata: {len(s['errata'])} known-broken problem(s) "
                  f"({', '.join(e['id'] + ':' + e['verdict'] for e in s['errata'])}); "
                  f"without them: official {ex['passed']}/{ex['total']}, strict {ex['strict_passed']}/{ex['total']}")
    if s.get("missing"):
        out.print(f"[yellow]{s['missing']} sample(s) not scored (interrupted?): re-run to resume[/yellow]")
    out.print(f"report: {out_dir / 'report.html'}  (also report.md, summary.json)", markup=False, soft_wrap=True)
    return 0 if s["total"] else 1


def cmd_design(args: argparse.Namespace) -> int:
    from rtlsmith.types import load_spec
    if args.resume or args.provider == "openai":
        return _design_agent(args)
    if args.provider != "template":
        raise ConfigError(f"unknown provider {args.provider!r}; known: template, openai")
    if args.spec is None:
        raise ConfigError("rtlsmith design needs a SPEC file")
    spec = load_spec(args.spec)
    if args.max_points:
        spec = spec.model_copy(update={"max_points": args.max_points})
    from rtlsmith.agents.template_designer import design_from_spec, exit_code
    out_dir = args.out or Path("out/design") / args.spec.stem
    t0 = time.monotonic()
    res = design_from_spec(spec, out_dir, ctx=_ctx(args), sims=tuple(args.sim or ["icarus"]), jobs=args.jobs,
                           seed=args.seed, waveform=not args.no_waveform,
                           progress=None if args.json else (lambda m: err.print(m, markup=False, soft_wrap=True)))
    if args.json:
        dump_json(json.loads((out_dir / "design.json").read_text()))
        return exit_code(res.exit_status)
    c = res.chosen
    if c is not None:
        out.print(f"[bold]{res.exit_status}[/bold]: {res.family} "
                  + " ".join(f"{k}={v}" for k, v in c.params.items())
                  + f" -- cells {c.cells:,}, area {c.area_um2:,.0f} um2, Fmax ~{c.fmax_mhz:.1f} MHz, "
                  f"latency {c.latency} cycles; {len(res.points)} DSE points; "
                  f"tests: " + ", ".join(f"{r.simulator} {sum(t.passed for t in r.tests)}/{len(r.tests)}"
                                         for r in res.sim) + f" ({time.monotonic() - t0:.1f} s)")
    else:
        out.print(f"[red]{res.exit_status}[/red]: " + "; ".join(res.notes))
    out.print(f"report: {out_dir / 'report.md'}  (rtl/, tests/, ppa.json, dse.json, pareto.png, waveform.png)",
              markup=False, soft_wrap=True)
    return exit_code(res.exit_status)


def _design_agent(args: argparse.Namespace) -> int:
    from rtlsmith.agents.llm import LLMConfig
    from rtlsmith.agents.run import new_run_id, resume_design, run_design
    from rtlsmith.agents.state import Budgets
    from rtlsmith.types import load_spec
    prices = {}
    for item in args.price:
        try:
            m, v = item.split("=", 1)
            a, b = v.split(",")
            prices[m] = (float(a), float(b))
        except ValueError as e:
            raise ConfigError(f"--price {item!r}: expected MODEL=IN,OUT (USD per 1M tokens)") from e
    b = Budgets()
    if args.max_iterations:
        b.max_iterations = {k: (args.max_iterations if k in ("designer", "test_author", "judge") else v)
                            for k, v in b.max_iterations.items()}
    if args.max_cost is not None:
        b.max_cost_usd = args.max_cost
    if args.max_tokens is not None:
        b.max_tokens = args.max_tokens
    if args.max_time is not None:
        b.max_wall_s = args.max_time
    t0 = time.monotonic()
    say = None if args.json else (lambda m: err.print(m, markup=False, soft_wrap=True))
    if args.resume:
        run_dir = args.out or Path("out/runs") / args.resume
        cfg = LLMConfig(model=args.model, base_url=args.base_url, api_key_env=args.api_key_env,
                        retries=args.retries, prices=prices, temperature=args.temperature) if args.model else None
        rec = resume_design(run_dir, cfg, ctx=_ctx(args), progress=say)
    else:
        if args.spec is None:
            raise ConfigError("rtlsmith design needs a SPEC file (or --resume RUN_ID)")
        if not args.model:
            raise ConfigError("--provider openai needs --model NAME")
        spec = load_spec(args.spec)
        run_id = new_run_id()
        run_dir = args.out or Path("out/runs") / run_id
        cfg = LLMConfig(model=args.model, base_url=args.base_url, api_key_env=args.api_key_env, retries=args.retries,
                        prices=prices, temperature=args.temperature)
        if say:
            say(f"agent run {run_id} -> {run_dir} (resume with: rtlsmith design --resume {run_id}"
                + (f" --out {run_dir}" if args.out else "") + ")")
        rec = run_design(spec, run_dir, cfg, budgets=b, ctx=_ctx(args), sims=tuple(args.sim or ["icarus"]),
                         progress=say, run_id=run_id)
    if args.json:
        dump_json(json.loads(rec.model_dump_json()))
    else:
        out.print(f"[bold]{rec.exit_status}[/bold]" + (f": {rec.exit_reason}" if rec.exit_reason else "")
                  + f" | module {rec.module} | rtl v{rec.rtl_versions}, tests v{rec.test_versions} | "
                  f"{rec.prompt_tokens + rec.completion_tokens} tokens, ${rec.cost_usd:.4f} | "
                  f"{time.monotonic() - t0:.1f} s (tools {rec.tool_seconds:.1f} s, LLM {rec.llm_seconds:.1f} s)")
        out.print(f"run dir: {rec.run_dir} (final/, run.json, transcript.jsonl)", markup=False, soft_wrap=True)
    return {"passed": 0, "passed_ppa_unmet": 1}.get(rec.exit_status, 1 if rec.exit_status.startswith("exit_max")
                                                        or rec.exit_status in ("exit_cost", "exit_time") else 3)
