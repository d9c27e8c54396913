"""In-container job runner for the warm docker backend (stdlib only: runs on the image's Python).

Protocol over the container's stdin/stdout, one JSON object per line:
  host -> runner  {"argv": [...], "cwd": "/abs", "env": {...}, "rlimits": {"AS": n, ...}}
  runner -> host  {"o": "<base64>"} | {"e": "<base64>"}   (stdout / stderr chunks)
                  {"rc": int, "maxrss_kb": int}             (job finished)
                  {"error": "..."}                          (job could not start)
The host enforces the wall timeout (docker kill) and the output caps. Each job runs in a
new session; when it ends, every other process in the container but this runner is
killed, so nothing a job started outlives it. Signals ignored by the container runtime
(SIGXFSZ, SIGPIPE) are restored for the job, so RLIMIT_FSIZE kills a runaway writer.
"""
import base64
import json
import os
import resource
import selectors
import signal
import subprocess
import sys

LIMITS = {"AS": resource.RLIMIT_AS, "CPU": resource.RLIMIT_CPU, "FSIZE": resource.RLIMIT_FSIZE,
          "CORE": resource.RLIMIT_CORE, "NPROC": resource.RLIMIT_NPROC}


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def kill_others():
    me = os.getpid()
    for _ in range(20):
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (me, 1)]
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass


def run_job(job):
    lims = job.get("rlimits", {})

    def setup():  # single-threaded runner: a preexec_fn is safe here
        for k, v in lims.items():
            resource.setrlimit(LIMITS[k], (v, v))

    try:
        p = subprocess.Popen(job["argv"], cwd=job["cwd"], env=job["env"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                             preexec_fn=setup, restore_signals=True)
    except OSError as e:
        send({"error": f"{type(e).__name__}: {e}"})
        return
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ, "o")
    sel.register(p.stderr, selectors.EVENT_READ, "e")
    while sel.get_map():
        for key, _ in sel.select():
            data = os.read(key.fd, 1 << 16)
            if not data:
                sel.unregister(key.fileobj)
                continue
            send({key.data: base64.b64encode(data).decode()})
    _, status, ru = os.wait4(p.pid, 0)
    kill_others()
    send({"rc": os.waitstatus_to_exitcode(status), "maxrss_kb": ru.ru_maxrss})


def main():
    send({"ready": os.getpid()})
    for line in sys.stdin:
        if line.strip():
            run_job(json.loads(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
