"""rtlsmith: run a CVDP test_runner.py's test functions with cocotb_tools.runner stubbed out,
writing down every build/test call (no simulator starts here)."""
import importlib.util, inspect, itertools, json, os, sys, traceback, types
from pathlib import Path

RUNS, ERRORS, NOTES, CURRENT = [], [], [], [""]


def plain(v):
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    if isinstance(v, os.PathLike):
        return os.fspath(v)
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [plain(x) for x in v]
    return str(v)


class Runner:
    def __init__(self, sim):
        self.sim, self.build_kw = str(sim), {}

    def build(self, *args, **kw):
        if args:
            NOTES.append(CURRENT[0] + ": runner.build() positional arguments ignored")
        self.build_kw = {k: plain(v) for k, v in kw.items()}

    def test(self, *args, **kw):
        if args:
            NOTES.append(CURRENT[0] + ": runner.test() positional arguments ignored")
        RUNS.append({"sim": self.sim, "build": self.build_kw, "test": {k: plain(v) for k, v in kw.items()},
                     "caller": CURRENT[0]})
        return Path(kw.get("results_xml") or "results.xml")


stub = types.ModuleType("cocotb_tools.runner")
stub.get_runner = lambda simulator_name="icarus", *a, **k: Runner(simulator_name)
stub.get_results = lambda *a, **k: (1, 0)
pkg = types.ModuleType("cocotb_tools")
pkg.__path__ = []
pkg.runner = stub
sys.modules.update({"cocotb_tools": pkg, "cocotb_tools.runner": stub, "cocotb.runner": stub})

try:
    import pytest
except ImportError:  # the toolchain image has no pytest: enough of it for a test_runner.py
    class Mark:
        def __init__(self, name, args=(), kwargs=None):
            self.name, self.args, self.kwargs = name, args, kwargs or {}

        def __call__(self, *args, **kwargs):
            if len(args) == 1 and callable(args[0]) and not kwargs:  # applied to a function (pytest's rule)
                fn = args[0]
                fn.pytestmark = list(getattr(fn, "pytestmark", [])) + [self]
                return fn
            return Mark(self.name, args, kwargs)

    pytest = types.ModuleType("pytest")
    pytest.mark = type("MarkGen", (), {"__getattr__": lambda self, n: Mark(n)})()
    pytest.param = lambda *values, **kw: type("ParameterSet", (), {"values": values})()
    pytest.fixture = lambda *a, **k: (a[0] if a and callable(a[0]) else (lambda f: f))
    sys.modules["pytest"] = pytest


def cases(fn, module_marks):
    axes = []
    for m in list(module_marks) + list(getattr(fn, "pytestmark", [])):
        if m.name == "skip":
            return []
        if m.name == "skipif":
            cond = m.args[0] if m.args else m.kwargs.get("condition", False)
            if not isinstance(cond, str) and cond:
                return []
        if m.name != "parametrize":
            continue
        names = m.args[0] if m.args else m.kwargs["argnames"]
        values = m.args[1] if len(m.args) > 1 else m.kwargs["argvalues"]
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        rows = []
        for v in values:
            if type(v).__name__ == "ParameterSet":
                v = v.values if len(names) > 1 else v.values[0]
            rows.append({names[0]: v} if len(names) == 1 else dict(zip(names, v)))
        axes.append(rows)
    return [dict(kv for row in combo for kv in row.items()) for combo in itertools.product(*axes)]


def main(runner_path, out_path):
    sys.path.insert(0, os.path.dirname(os.path.abspath(runner_path)))
    functions = []
    try:
        spec = importlib.util.spec_from_file_location("test_runner", runner_path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules["test_runner"] = mod
        spec.loader.exec_module(mod)
    except BaseException:
        ERRORS.append("importing test_runner.py failed:\n" + traceback.format_exc(limit=-4))
        mod = None
    if mod is not None:
        marks = getattr(mod, "pytestmark", [])
        marks = marks if isinstance(marks, list) else [marks]
        for name, fn in list(vars(mod).items()):
            if name.startswith("Test") and inspect.isclass(fn):
                NOTES.append(f"test class {name} not replayed (unsupported)")
            if not (name.startswith("test") and inspect.isfunction(fn)):
                continue
            params = inspect.signature(fn).parameters
            for case in cases(fn, marks):
                CURRENT[0] = f"{name}[{'-'.join(str(v) for v in case.values())}]" if case else name
                functions.append(CURRENT[0])
                missing = [p for p, d in params.items() if p not in case and d.default is inspect.Parameter.empty]
                if missing:
                    ERRORS.append(f"{CURRENT[0]}: needs pytest fixture(s) {', '.join(missing)} (unsupported)")
                    continue
                before = len(RUNS)
                try:
                    fn(**{k: v for k, v in case.items() if k in params})
                except BaseException:
                    ERRORS.append(f"{CURRENT[0]} raised:\n" + traceback.format_exc(limit=-4))
                if len(RUNS) == before:
                    NOTES.append(f"{CURRENT[0]} ran no cocotb test")
    with open(out_path, "w") as f:
        json.dump({"runs": RUNS, "errors": ERRORS, "notes": NOTES, "functions": functions}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
