"""Runs a fixture's source under torch as `__main__`, each run in a process of its own.

Starting Python and importing torch costs one to several seconds, and the suite runs hundreds of
fixtures. So one server process per test worker imports torch once and forks a child for every run:
the child is as isolated as a fresh process (its own memory, cwd, file descriptors and torch state;
the server never runs a torch op, so no thread pool exists to be copied half-way), and starts in
milliseconds. An uncaught exception is reported as one `FIXTURE-EXCEPTION {json}` line on stderr with
exit code 3, as the fixture headers expect.
"""

from __future__ import annotations

import atexit
import json
import subprocess
import sys
import threading
from pathlib import Path

TIMEOUT_S = 300

# The child's part: run the source as __main__ and report an uncaught exception as one JSON line.
_CHILD = r"""
def run_source(source, path):
    import json, sys, traceback
    sys.argv = ["-c", path]
    try:
        exec(compile(source, path, "exec"), {"__name__": "__main__", "__file__": path})
    except SystemExit as error:
        return error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
    except BaseException as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == path]
        report = {"type": type(error).__name__, "message": str(error), "line": frames[-1].lineno if frames else None}
        print("FIXTURE-EXCEPTION " + json.dumps(report), file=sys.stderr)
        return 3
    return 0
"""

# The server: imports torch once, then for each request (a JSON line) forks a child whose stdout and
# stderr go to temporary files, waits for it (killing it past its timeout) and answers with a JSON line.
_SERVER = (
    _CHILD
    + r"""
import json, os, sys, tempfile, time
import torch  # noqa: F401  the whole point: imported once, before any fork
try:
    import numpy  # noqa: F401
except ImportError:
    pass

protocol = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)  # a stray print of the server's own cannot corrupt the protocol
for line in sys.stdin:
    request = json.loads(line)
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    sys.stdout.flush(); sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.chdir(request["cwd"])
            devnull = os.open(os.devnull, os.O_RDONLY)
            os.dup2(devnull, 0)
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            code = run_source(request["source"], request["path"])
        finally:
            try:
                sys.stdout.flush(); sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 1)
    deadline = time.monotonic() + request["timeout"]
    delay = 0.0005
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            returncode = None
            break
        time.sleep(delay)
        delay = min(delay * 2, 0.02)
    texts = []
    for stream in (out, err):
        stream.seek(0)
        texts.append(stream.read().decode("utf-8", "replace"))
        stream.close()
    protocol.write(json.dumps({"returncode": returncode, "stdout": texts[0], "stderr": texts[1]}) + "\n")
    protocol.flush()
"""
)


class _ForkServer:
    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def run(self, source: str, path: Path, timeout: float) -> subprocess.CompletedProcess:
        request = {"source": source, "path": str(path), "cwd": str(path.parent), "timeout": timeout}
        assert self.process.stdin is not None and self.process.stdout is not None
        with self.lock:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the torch fork server ended (exit {self.process.poll()})")
        reply = json.loads(answer)
        args = [sys.executable, "-c", "<fixture>", str(path)]
        if reply["returncode"] is None:
            raise subprocess.TimeoutExpired(args, timeout, reply["stdout"], reply["stderr"])
        return subprocess.CompletedProcess(args, reply["returncode"], reply["stdout"], reply["stderr"])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


_server: _ForkServer | None = None


def run_under_torch(source: str, path: Path, timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run `source` as `__main__` named `path`, in `path`'s folder, in a process of its own."""
    global _server
    if _server is None or _server.process.poll() is not None:
        _server = _ForkServer()
        atexit.register(_server.close)
    return _server.run(source, path, timeout)
