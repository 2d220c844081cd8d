"""Moving events from the training thread to the supervisor without ever blocking it.

    caller thread ──append──▶ deque (bounded) ──writer thread──▶ WB_EVENT_FD
                     │ full for 5 ms                 │ EPIPE/EBADF, or exit deadline
                     ▼                               ▼
                  spool file  ◀──────────────────────┘

* Callers only append small items to a ``collections.deque`` (thread-safe, lock-free
  under the GIL). The capacity check is a ``len()``; a full queue costs the caller at
  most ~5 ms once, then it spools directly until the writer has caught up.
* One daemon writer thread formats items in batches and writes them with ``os.write``
  on a non-blocking fd, using ``poll`` to wait. Non-blocking writes tell us exactly how
  many bytes went out, so when the supervisor is gone or the exit deadline passes, the
  unsent rest (from the start of the line that was cut) goes to the spool file and
  nothing is lost.
* Fork: a child gets an empty queue and its own writer. Once a process has forked,
  parent and child write only chunks of whole lines of at most PIPE_BUF bytes, which
  a pipe writes atomically, so their lines never interleave mid-line.
"""

import atexit
import os
import select
import sys
import threading
import time
from collections import deque

from . import _format

PIPE_BUF = 4096  # POSIX minimum; writes this small are atomic on a pipe
MAX_BATCH = 16384  # items per writer iteration (~1 MiB of JSON: big writes, cache-friendly)
FULL_WAIT_S = 0.005  # the most a caller waits on a full queue before spooling
DEFAULT_CAPACITY = 1_000_000
DEFAULT_FLUSH_TIMEOUT = 10.0
SPOOL_NAME = "events-spool.jsonl"
_SPOOL_BUFFER = 256 * 1024  # spool writes are batched up to this many characters


def _stderr(message):
    # The supervisor may be gone, taking our stderr pipe with it: never raise from here.
    try:
        sys.stderr.write("workbench: %s\n" % message)
        sys.stderr.flush()
    except Exception:
        pass


def _env_number(name, default, cast):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = cast(raw)
    except ValueError:
        _stderr("ignoring %s=%r (not a number); using %s" % (name, raw, default))
        return default
    if value <= 0:
        _stderr("ignoring %s=%r (must be > 0); using %s" % (name, raw, default))
        return default
    return value


def flush_timeout():
    return _env_number("WB_FLUSH_TIMEOUT", DEFAULT_FLUSH_TIMEOUT, float)


def _offline_path():
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return os.path.join(os.getcwd(), "wb-offline", "%s-%d.jsonl" % (stamp, os.getpid()))


class Spool:
    """Append-only JSON-lines file: the offline event log, or the overflow of a run.

    Opened lazily (a process that never spools creates nothing) with O_APPEND, and
    written in chunks of whole lines, so a parent and its forked children can share it.
    Both the caller thread (queue full) and the writer thread write here: a lock keeps
    the buffer consistent.
    """

    def __init__(self, path_fn, offline):
        self._path_fn = path_fn
        self._offline = offline
        self._fd = None
        self.path = None
        self._buf = []
        self._size = 0
        self._lock = threading.Lock()
        self._failed = False

    def where(self):
        """The spool file's path, for messages (outside a run: its folder, until opened)."""
        if self.path:
            return self.path
        return os.path.dirname(self._path_fn()) + os.sep if self._offline else self._path_fn()

    def after_fork_in_child(self):
        # The parent still owns what was buffered; the lock may have been held at fork.
        self._lock = threading.Lock()
        self._buf = []
        self._size = 0

    def write(self, text, flush=False, timeout=-1):
        """Buffer whole lines; returns False if the lock could not be had in time."""
        if not self._lock.acquire(timeout=timeout):
            return False
        try:
            self._buf.append(text)
            self._size += len(text)
            if flush or self._size >= _SPOOL_BUFFER:
                self._flush_locked()
        finally:
            self._lock.release()
        return True

    def flush(self):
        if self._buf:
            with self._lock:
                self._flush_locked()

    def _open(self):
        path = self._path_fn()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            _stderr("cannot open the event spool file %s (%s): events are lost" % (path, exc))
            self._failed = True
            return None
        self.path = path
        if self._offline:
            _stderr(
                "not running under a Workbench supervisor (WB_EVENT_FD is not set): "
                "events are written to %s" % path
            )
        return fd

    def _flush_locked(self):
        if not self._buf:
            return
        data = "".join(self._buf).encode("ascii")
        self._buf = []
        self._size = 0
        if self._failed:
            return
        if self._fd is None:
            self._fd = self._open()
            if self._fd is None:
                return
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self._failed = True
            _stderr("cannot write the event spool file %s (%s): events are lost" % (self.path, exc))


class Transport:
    def __init__(self):
        self.capacity = int(_env_number("WB_QUEUE_CAPACITY", DEFAULT_CAPACITY, int))
        self.queue = deque()
        self._wake = threading.Event()
        self._interval = 0.05  # writer's idle poll; callers never signal it on the hot path
        self.atomic = False  # True once this process forked or is a forked child
        self.overflowing = False
        self._deadline = None
        self._announced = set()
        self._thread = None  # started by the first event (see start())
        self._start_lock = threading.Lock()

        self.fd = None
        self.dead_reason = None  # set when the channel is unusable: all goes to the spool
        raw_fd = os.environ.get("WB_EVENT_FD")
        output_dir = os.environ.get("WB_OUTPUT_DIR")
        in_run = raw_fd is not None and raw_fd.strip() != ""
        if in_run and output_dir:
            spool_path = lambda: os.path.join(output_dir, SPOOL_NAME)  # noqa: E731
        else:
            spool_path = _offline_path
        self.spool = Spool(spool_path, offline=not in_run)
        if in_run:
            try:
                self.fd = int(raw_fd)
                os.fstat(self.fd)
            except (ValueError, OSError) as exc:
                self.fd = None
                self._go_dead("WB_EVENT_FD=%r is not an open file descriptor (%s)" % (raw_fd, exc))
            else:
                if self.fd > 2:  # never make the user's stdio non-blocking
                    try:
                        # Non-blocking: a write reports how much it took instead of
                        # hanging, which keeps the exit deadline and the EPIPE
                        # fall-back exact.
                        os.set_blocking(self.fd, False)
                    except OSError:
                        pass
        else:
            self.dead_reason = "offline"

        if hasattr(os, "register_at_fork"):
            os.register_at_fork(
                after_in_parent=self._after_fork_in_parent,
                after_in_child=self._after_fork_in_child,
            )
        atexit.register(self._at_exit)

    # ---- caller side ---------------------------------------------------------------

    def start(self):
        """Start the writer thread if it is not running.

        Lazy, so that importing the client (to read params, say) starts no thread, and a
        process that forks before logging anything forks with no extra thread.
        """
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="workbench-writer", daemon=True
                )
                self._thread.start()

    def put(self, item):
        """Enqueue one item (the hot path inlines this check; this is the general one)."""
        if self._thread is None:
            self.start()
        if len(self.queue) < self.capacity:
            self.queue.append(item)
        else:
            self.overflow(item)

    def overflow(self, item):
        """The queue is full: wait at most FULL_WAIT_S for room, else spool ``item``."""
        queue = self.queue
        if not self.overflowing:
            self._wake.set()
            end = time.perf_counter() + FULL_WAIT_S
            while True:
                time.sleep(0.0005)
                if len(queue) < self.capacity:
                    queue.append(item)
                    return
                if time.perf_counter() >= end:
                    break
            # Later calls spool without waiting until the writer has drained half the
            # queue: a reader that stopped reading must not slow every call by 5 ms.
            self.overflowing = True
            self._announce(
                "queue",
                "event queue full (%d events): further events are saved to %s"
                % (self.capacity, self.spool.where()),
            )
        lines = []
        self._format((item,), lines)
        if lines:
            self.spool.write(lines[0])

    def flush(self, timeout):
        """Wait until everything enqueued so far has been written; False on timeout."""
        if self._thread is None and not self.queue:
            return True  # nothing was ever logged
        self.start()
        marker = threading.Event()
        self.queue.append(marker)  # ignores capacity: a marker is tiny
        self._wake.set()
        return marker.wait(timeout)

    def shutdown(self, timeout):
        """Flush with a deadline; what cannot reach the channel by then is spooled."""
        self._deadline = time.monotonic() + timeout
        # After the deadline the writer spools whatever is left, which takes a moment.
        if self.flush(timeout + 2.0):
            return True
        # The writer is wedged (a blocking fd, a stuck disk): spool the queue ourselves.
        self._drain_to_spool()
        return False

    # ---- writer thread -------------------------------------------------------------

    def _run(self):
        queue = self.queue
        popleft = queue.popleft
        wake = self._wake
        while True:
            try:
                if not queue:
                    self.spool.flush()
                    wake.wait(self._interval)
                    wake.clear()
                    continue
                n = min(len(queue), MAX_BATCH)
                batch = []
                take = batch.append
                try:
                    for _ in range(n):
                        take(popleft())
                except IndexError:  # another thread drained it (shutdown fallback)
                    pass
                lines = []
                markers = self._format(batch, lines)
                if lines:
                    if self.dead_reason is None:
                        self._send(lines)
                    else:
                        self.spool.write("".join(lines))
                if self.overflowing and len(queue) <= self.capacity // 2:
                    self.overflowing = False
                if markers:
                    self.spool.flush()
                    for marker in markers:
                        marker.set()
            except Exception as exc:  # a bug here must not kill event delivery silently
                self._announce("bug", "event writer error: %r" % (exc,))
                time.sleep(0.01)

    def _format(self, batch, lines):
        try:
            return _format.format_batch(batch, lines)
        except Exception:
            pass
        # Some item cannot be formatted (e.g. an int too long for repr()): keep the rest.
        del lines[:]
        markers = []
        for item in batch:
            try:
                markers.extend(_format.format_batch((item,), lines) or ())
            except Exception as exc:
                self._announce("format", "dropped an event that cannot be written: %r" % (exc,))
        return markers

    def _send(self, lines):
        if not self.atomic:
            self._write("".join(lines).encode("ascii"))
            return
        # Whole lines, at most PIPE_BUF bytes per write: atomic on a pipe, so a forked
        # process's lines never land in the middle of ours (and vice versa).
        start, size, n = 0, 0, len(lines)
        for i in range(n + 1):
            if i < n and (size + len(lines[i]) <= PIPE_BUF or i == start):
                size += len(lines[i])
                continue
            if not self._write("".join(lines[start:i]).encode("ascii")):
                # _write spooled the chunk's unsent part; the lines after it follow.
                if i < n:
                    self.spool.write("".join(lines[i:]))
                return
            start, size = i, 0
            if i < n:
                size = len(lines[i])

    def _write(self, data):
        """Write all of ``data`` to the channel; on failure spool the unsent part.

        Returns False when the channel failed or the exit deadline passed (from then on
        ``dead_reason`` is set and everything goes to the spool).
        """
        fd = self.fd
        view = memoryview(data)
        off, total = 0, len(data)
        poller = None
        while off < total:
            # Past the exit deadline nothing more goes to the channel, even when the
            # reader keeps up: the process is about to end, and a write still in flight
            # then would be lost; the spool is sure.
            if self._deadline is not None and time.monotonic() >= self._deadline:
                self._fail(data, off, "exit flush timed out")
                return False
            try:
                off += os.write(fd, view[off:])
                continue
            except BlockingIOError:
                pass
            except OSError as exc:  # EPIPE, EBADF, ECONNRESET...: the supervisor is gone
                self._fail(data, off, "event channel closed (%s)" % (exc.strerror or exc))
                return False
            # The reader is slow: wait for room (in short slices, to see the deadline).
            if poller is None:
                poller = select.poll()
                poller.register(fd, select.POLLOUT)
            wait_ms = 100
            if self._deadline is not None:
                left = self._deadline - time.monotonic()
                wait_ms = max(1, min(wait_ms, int(left * 1000) + 1))
            poller.poll(wait_ms)
        return True

    def _fail(self, data, off, reason):
        # Spool from the start of the line that was cut, so every event is whole in
        # the spool (a cut line on the channel is reported by the supervisor as bad).
        start = data.rfind(b"\n", 0, off) + 1
        self._go_dead(reason)
        self.spool.write(data[start:].decode("ascii"))

    def _go_dead(self, reason):
        self.dead_reason = reason
        self._announce("dead", "%s: events are saved to %s" % (reason, self.spool.where()))

    def _announce(self, kind, message):
        if kind not in self._announced:
            self._announced.add(kind)
            _stderr(message)

    def _drain_to_spool(self):
        lines = []
        batch = []
        try:
            while True:
                batch.append(self.queue.popleft())
        except IndexError:
            pass
        markers = self._format(batch, lines)
        # The wedged writer may hold the spool lock: do not hang the exit on it.
        self.spool.write("".join(lines), flush=True, timeout=1.0)
        for marker in markers or ():
            marker.set()

    # ---- process lifecycle -----------------------------------------------------------

    def _at_exit(self):
        try:
            self.shutdown(flush_timeout())
        except BaseException:  # never raise from atexit
            pass

    def _after_fork_in_parent(self):
        self.atomic = True

    def _after_fork_in_child(self):
        # Whatever the parent had queued is the parent's to write: start empty. Locks and
        # events may have been held by the parent's writer at fork time: make new ones.
        self.queue.clear()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self.spool.after_fork_in_child()
        self.atomic = True
        self.overflowing = False
        self._deadline = None
        self._interval = 0.01  # children often end abruptly: keep little in flight
        # No thread is started here (this hook also runs in a subprocess child about to
        # exec): the child's first event starts its writer, as in a fresh process.
        self._thread = None
        # multiprocessing children (e.g. DataLoader workers) end with os._exit, which
        # skips atexit; multiprocessing's own exit finalizers do run: hook into those.
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            try:
                mp_util.register_after_fork(self, Transport._register_mp_finalizer)
            except Exception:
                pass

    @staticmethod
    def _register_mp_finalizer(transport):
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            mp_util.Finalize(None, transport._at_exit, exitpriority=0)
