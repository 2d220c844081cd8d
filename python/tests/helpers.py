"""Run a real child Python process with a real event channel on fd 3, like the supervisor.

Nothing is mocked: the child imports ``workbench`` from this checkout, writes to a pipe
(or a socketpair, which is what Node's child_process gives the real supervisor), and the
test reads the bytes that actually came out.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(PYTHON_DIR)
TEMPLATES_DIR = os.path.join(REPO_ROOT, "templates")

# Variables of the protocol that must not leak from the environment the tests run in.
_PROTOCOL_VARS = (
    "WB_RUN_ID",
    "WB_EVENT_FD",
    "WB_WORKSPACE",
    "WB_PROJECT",
    "WB_SERVER_URL",
    "WB_PARAMS",
    "WB_DATASETS",
    "WB_DATASET",
    "WB_OUTPUT_DIR",
    "WB_ATTEMPT",
    "WB_QUEUE_CAPACITY",
    "WB_FLUSH_TIMEOUT",
)


def child_env(extra=None):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _PROTOCOL_VARS and not k.startswith("WB_DATASET_")
    }
    env["PYTHONPATH"] = PYTHON_DIR + (
        os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else ""
    )
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


class Result:
    def __init__(self, rc, raw, stdout, stderr, elapsed):
        self.rc = rc
        self.raw = raw
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed

    @property
    def lines(self):
        text = self.raw.decode("utf-8")
        assert text == "" or text.endswith("\n"), "channel data does not end with a newline"
        return text.splitlines()

    @property
    def events(self):
        return [json.loads(line) for line in self.lines]

    def of_type(self, kind):
        return [e for e in self.events if e["type"] == kind]

    def describe(self):
        return "rc=%s\n--- stdout\n%s\n--- stderr\n%s" % (
            self.rc,
            self.stdout.decode(errors="replace")[-3000:],
            self.stderr.decode(errors="replace")[-3000:],
        )


def read_all(fd, chunk=65536, delay=0.0):
    """Read ``fd`` to EOF (optionally slowly, to keep a pipe full); returns bytes."""
    parts = []
    while True:
        data = os.read(fd, chunk)
        if not data:
            return b"".join(parts)
        parts.append(data)
        if delay:
            time.sleep(delay)


class Child:
    """A running child with fd 3 wired to an event channel the test reads from."""

    def __init__(self, argv, env=None, cwd=None, channel="pipe", stdin=None, fd3=True):
        self.env = child_env(env)
        self.read_fd = None
        write_fd = None
        if fd3:
            if channel == "socket":
                a, b = socket.socketpair()
                self._sockets = (a, b)
                self.read_fd, write_fd = a.fileno(), b.fileno()
            else:
                self.read_fd, write_fd = os.pipe()
            self.env["WB_EVENT_FD"] = "3"

        def put_channel_on_fd3():
            # Runs in the child between fork and exec. os.dup2 makes fd 3 inheritable.
            if write_fd == 3:
                os.set_inheritable(3, True)
            else:
                os.dup2(write_fd, 3)

        self.started = time.monotonic()
        # close_fds=False: fd 3 is made in preexec_fn, after the point where pass_fds is
        # applied; every other fd the test process holds is close-on-exec (PEP 446).
        self.proc = subprocess.Popen(
            argv,
            env=self.env,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            close_fds=False,
            preexec_fn=put_channel_on_fd3 if fd3 else None,
        )
        if fd3:
            if channel == "socket":
                b.close()
            else:
                os.close(write_fd)
        self._out = {}
        self._threads = [
            threading.Thread(target=self._collect, args=("stdout",), daemon=True),
            threading.Thread(target=self._collect, args=("stderr",), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _collect(self, name):
        self._out[name] = getattr(self.proc, name).read()

    def close_channel(self):
        if self.read_fd is not None:
            if hasattr(self, "_sockets"):
                self._sockets[0].close()
            else:
                os.close(self.read_fd)
            self.read_fd = None

    def wait(self, timeout=60, raw=b"", close_channel=True):
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise
        elapsed = time.monotonic() - self.started
        for t in self._threads:
            t.join(10)
        if close_channel:
            self.close_channel()
        return Result(rc, raw, self._out.get("stdout", b""), self._out.get("stderr", b""), elapsed)


def run_argv(
    argv, env=None, cwd=None, timeout=60, channel="pipe", fd3=True, read_delay=0.0, read_chunk=65536
):
    """Run ``argv``; read its channel to EOF; wait for it."""
    child = Child(argv, env=env, cwd=cwd, channel=channel, fd3=fd3)
    raw = b""
    if fd3:
        raw = read_all(child.read_fd, chunk=read_chunk, delay=read_delay)
    return child.wait(timeout, raw)


def run_python(code, **kw):
    """Run ``code`` (dedented) in a child Python (see run_argv for the options)."""
    return run_argv([sys.executable, "-c", textwrap.dedent(code)], **kw)


def tempdir(testcase):
    d = tempfile.TemporaryDirectory(prefix="wb-test-")
    testcase.addCleanup(d.cleanup)
    return d.name


def strip_ts(event):
    """An event without its ``ts`` (checked to be a plausible Unix time in seconds)."""
    event = dict(event)
    ts = event.pop("ts")
    assert isinstance(ts, (int, float)) and 1e9 < ts < 1e11, ts
    return event


def read_jsonl(path):
    with open(path, "rb") as f:
        text = f.read().decode("utf-8")
    return [json.loads(line) for line in text.splitlines()]
