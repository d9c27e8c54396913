"""Where scoring jobs run: ``local`` (this machine) or ``dask`` (a distributed cluster).

``local`` is a pool of ``--jobs`` worker threads; each job's compile and simulation are
separate sandboxed processes, so the threads only wait and the GIL is never the limit
(a process pool would cost a Python start and the job's pickling per worker for nothing).
``dask`` submits the same picklable jobs to a ``distributed`` scheduler
(``--scheduler tcp://HOST:PORT``); every worker needs rtlsmith and the EDA tools installed.
Jobs are submitted longest-expected-first and Dask gets matching priorities.
"""
from __future__ import annotations

import time
from abc import ABC, abstractmethod
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Callable

from rtlsmith.errors import ConfigError

EXECUTORS = ("local", "dask")


class Executor(ABC):
    @abstractmethod
    def submit(self, fn: Callable, job: Any) -> Any:
        """Start ``fn(job)``; returns a handle."""

    @abstractmethod
    def completed(self, handles: list, timeout: float | None) -> list:
        """Handles among ``handles`` that finished; waits up to ``timeout`` (None: for one)."""

    @abstractmethod
    def result(self, handle: Any) -> Any:
        """The job's return value; raises what the job raised."""

    @abstractmethod
    def shutdown(self, cancel: bool) -> None: ...


class LocalExecutor(Executor):
    def __init__(self, jobs: int) -> None:
        if jobs < 1:
            raise ConfigError("--jobs must be >= 1")
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="score")

    def submit(self, fn, job):
        return self.pool.submit(fn, job)

    def completed(self, handles, timeout):
        if not handles:
            return []
        done, _ = wait(handles, timeout=timeout, return_when=FIRST_COMPLETED)
        return list(done)

    def result(self, handle):
        return handle.result()

    def shutdown(self, cancel: bool) -> None:
        self.pool.shutdown(wait=True, cancel_futures=cancel)


class DaskExecutor(Executor):
    def __init__(self, scheduler: str | None) -> None:
        if not scheduler:
            raise ConfigError("--executor dask needs --scheduler tcp://HOST:PORT (a running dask scheduler)")
        try:
            from distributed import Client
        except ImportError as e:  # pragma: no cover - a declared dependency
            raise ConfigError("the dask executor needs the 'distributed' package") from e
        try:
            self.client = Client(scheduler, timeout=20, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise ConfigError(f"cannot reach the dask scheduler at {scheduler}: {e}") from e
        self._prio = 1_000_000
        self._live: set = set()

    def submit(self, fn, job):
        self._prio -= 1  # first submitted = highest priority: keeps the longest-first order
        f = self.client.submit(fn, job, pure=False, priority=self._prio)
        self._live.add(f)
        return f

    def completed(self, handles, timeout):
        # Future.done() reads client-local state: polling it needs no default client
        # (distributed.wait would) and costs nothing next to a simulation
        end = None if timeout is None else time.monotonic() + timeout
        while handles:
            done = [f for f in handles if f.done()]
            if done or (end is not None and time.monotonic() >= end):
                return done
            time.sleep(0.01)
        return []

    def result(self, handle):
        self._live.discard(handle)
        return handle.result()

    def shutdown(self, cancel: bool) -> None:
        try:
            if cancel and self._live:
                self.client.cancel(list(self._live))
        finally:
            self.client.close()


def make_executor(name: str, *, jobs: int = 2, scheduler: str | None = None) -> Executor:
    if name == "local":
        return LocalExecutor(jobs)
    if name == "dask":
        return DaskExecutor(scheduler)
    raise ConfigError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}")
