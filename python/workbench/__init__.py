"""Workbench client: report params, metrics, logs and artifacts from a training script.

    import workbench as wb

    wb.log_params({"lr": 0.01, "layers": 3})
    for step in range(100):
        wb.log_metric("loss", loss, step=step)
    wb.log_artifact("model.onnx", kind="model")

Under ``wb run`` events go to the supervisor over the channel described in
docs/run-protocol.md; outside a run they are appended to ./wb-offline/*.jsonl. No call
blocks the training loop for more than a few milliseconds, and no call fails because
the supervisor went away (events are then spooled to a file).

Standard library only; Python >= 3.9.
"""

import hashlib
import os
import platform
import sys
import time

from . import _format, _transport
from ._env import DatasetNotFoundError, dataset_path, in_run, output_dir, params, run_id

__version__ = "0.1.0"

__all__ = [
    "log_param",
    "log_params",
    "set_tag",
    "log_environment",
    "log_metric",
    "log_metrics",
    "progress",
    "log",
    "log_artifact",
    "finish",
    "flush",
    "run_id",
    "params",
    "dataset_path",
    "output_dir",
    "in_run",
    "DatasetNotFoundError",
]

# One transport per process (a forked child resets it in place: same queue object).
_T = _transport.Transport()

# log_metric is the hot path (a benchmark sends a million calls): everything it touches
# is bound to a module global once, and it does no more than validate and append a tuple.
_queue = _T.queue
_append = _queue.append
_prefixes = _format.metric_prefix_cache
_new_prefix = _format.metric_prefix
_coerce_value = _format.coerce_value
_coerce_step = _format.coerce_step
_MAX_STEP = _format.MAX_STEP
_time = time.time

# Until the first event the capacity reads 0, so the first log_metric takes the slow
# path (_overflow), which starts the writer thread and then installs the real values.
_capacity = 0


def _first_event(item):
    global _capacity, _overflow
    _T.start()
    _capacity = _T.capacity
    _overflow = _T.overflow
    _T.put(item)


_overflow = _first_event


def _reset_after_fork():
    # A forked child has no writer thread yet: route its first event through
    # _first_event again. (Registered after the transport's own fork hook, which runs
    # first and leaves the transport with an empty queue and no thread.)
    global _capacity, _overflow
    _capacity = 0
    _overflow = _first_event


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def log_metric(key, value, step=None):
    """Record one point of the metric ``key``.

    ``value``: an int or float (numpy/torch scalars are fine; NaN and ±Inf are kept).
    ``step``: an int >= 0; None means the key's previous step + 1 (0 for the first).
    """
    try:
        prefix = _prefixes[key]
    except (KeyError, TypeError):
        prefix = _new_prefix(key)  # validates the key (raises on a bad one), caches it
    if type(value) is not float and type(value) is not int:
        value = _coerce_value(value, key)
    if step is not None and (type(step) is not int or not 0 <= step <= _MAX_STEP):
        step = _coerce_step(step)
    if len(_queue) < _capacity:
        _append((prefix, value, step, _time()))
    else:
        _overflow((prefix, value, step, _time()))


def log_metrics(values, step=None):
    """Record several metrics at the same step as one ``metrics`` event."""
    if not hasattr(values, "items"):
        raise TypeError(
            "log_metrics takes a dict of metric name -> number, got %s"
            % type(values).__name__
        )
    key_json = _format.key_json
    pairs = []
    for key, value in values.items():
        kj = key_json(key)
        if type(value) is not float and type(value) is not int:
            value = _coerce_value(value, key)
        pairs.append((kj, value))
    if not pairs:
        return  # nothing to record
    if step is not None and (type(step) is not int or not 0 <= step <= _MAX_STEP):
        step = _coerce_step(step)
    _T.put([tuple(pairs), step, _time()])


def _send(event, what):
    event["ts"] = _time()
    line = _format.event_line(event)
    if len(line) > _format.MAX_LINE_BYTES:
        raise ValueError(
            "%s is too large to log (%d bytes of JSON, the limit is 1 MiB); save it to a "
            "file and log that with log_artifact()" % (what, len(line))
        )
    _T.put(line)


def log_param(key, value):
    """Record one param (any JSON-able value; others are sent as their str())."""
    key = _format.check_key(key, "param key")
    _send({"type": "param", "key": key, "value": _format.jsonable(value)}, "param %r" % key)


def log_params(values):
    """Record several params as one ``params`` event."""
    if not hasattr(values, "items"):
        raise TypeError(
            "log_params takes a dict of param name -> value, got %s" % type(values).__name__
        )
    clean = {}
    for key, value in values.items():
        clean[_format.check_key(key, "param key")] = _format.jsonable(value)
    if clean:
        _send({"type": "params", "values": clean}, "params")


def set_tag(key, value):
    """Set a tag on the run (values are strings; others are sent as their str())."""
    key = _format.check_key(key, "tag key")
    if not isinstance(value, str):
        value = str(value)
    if len(value) > _format.MAX_TAG_CHARS:
        raise ValueError(
            "tag %r value must be at most %d characters, got %d; use log_param for longer "
            "values" % (key, _format.MAX_TAG_CHARS, len(value))
        )
    _send({"type": "tag", "key": key, "value": value}, "tag %r" % key)


# Distribution names of the modules a training script commonly imports (module -> package).
_KNOWN_PACKAGES = {
    "numpy": "numpy",
    "torch": "torch",
    "sklearn": "scikit-learn",
    "onnx": "onnx",
    "skl2onnx": "skl2onnx",
    "pandas": "pandas",
    "scipy": "scipy",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "tensorflow": "tensorflow",
}


def _package_version(name):
    try:
        from importlib import metadata

        return metadata.version(name)
    except Exception:  # not installed as a distribution (e.g. some Debian packages)
        pass
    for module, dist in _KNOWN_PACKAGES.items():
        if dist == name:
            mod = sys.modules.get(module)
            if mod is not None:
                return str(getattr(mod, "__version__", "")) or None
    return None


def log_environment(packages=None):
    """Record the Python version and package versions as tags (``env.python``,
    ``env.pkg.<name>``), which the model registry copies into a model's lineage.

    ``packages``: distribution names to report; by default the well-known ML packages
    this process has imported (numpy, torch, scikit-learn, onnx, pandas, ...).
    """
    set_tag("env.python", platform.python_version())
    if packages is None:
        packages = [dist for module, dist in _KNOWN_PACKAGES.items() if module in sys.modules]
    for name in packages:
        version = _package_version(name)
        if version:
            set_tag("env.pkg." + name, version)


def progress(current, total=None):
    """Report progress: ``current`` out of ``total`` (None when unknown)."""
    current = _format.coerce_number(current, "progress current")
    event = {"type": "progress", "current": current}
    if total is not None:
        event["total"] = _format.coerce_number(total, "progress total")
    for name in ("current", "total"):
        if name in event and event[name] - event[name] != 0:
            raise ValueError("progress %s must be a finite number, got %r" % (name, event[name]))
    if event.get("total", 0) < 0:
        raise ValueError("progress total must be >= 0, got %r" % (event["total"],))
    _send(event, "progress")


def log(message, level="INFO"):
    """Send a log line (level DEBUG, INFO, WARN/WARNING or ERROR) to the run's log."""
    norm = _format.LEVELS.get(str(level).upper())
    if norm is None:
        raise ValueError(
            "log level must be one of DEBUG, INFO, WARN, WARNING, ERROR, got %r" % (level,)
        )
    if not isinstance(message, str):
        message = str(message)
    if len(message) > _format.MAX_MESSAGE_CHARS:
        cut = len(message) - _format.MAX_MESSAGE_CHARS
        message = message[: _format.MAX_MESSAGE_CHARS] + " ... [%d characters cut]" % cut
    _send({"type": "log", "level": norm, "message": message}, "log message")


def _check_artifact_name(name):
    if not isinstance(name, str) or not name.strip():
        raise ValueError("artifact name must be a non-empty relative path, got %r" % (name,))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise ValueError(
            "artifact name must be relative (it names the artifact inside the run), got "
            "absolute %r; pass e.g. name=%r" % (name, os.path.basename(name.rstrip("/\\")))
        )
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise ValueError(
            "artifact name must stay inside the run: no '..' segment, got %r" % (name,)
        )
    return name


def log_artifact(path, name=None, kind="file"):
    """Register a file as an artifact of the run; returns its SHA-256 (hex).

    The supervisor copies the file and checks it against the hash sent here, so do not
    change the file after logging it. ``name`` (default: the file name) is its name in
    the workspace and must be relative without '..'.
    """
    path = os.path.abspath(os.fspath(path))
    if name is None:
        name = os.path.basename(path)
    name = _check_artifact_name(name)
    if not isinstance(kind, str) or not kind:
        raise ValueError("artifact kind must be a non-empty str such as 'model' or 'file'")
    if not os.path.exists(path):
        raise FileNotFoundError(
            2, "artifact file not found: %s (working directory: %s)" % (path, os.getcwd()), path
        )
    if os.path.isdir(path):
        raise IsADirectoryError(
            21, "log_artifact takes a file, got the folder %s; archive it or log its files "
            "one by one" % path, path
        )
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    sha = digest.hexdigest()
    _send(
        {"type": "artifact", "kind": kind, "path": path, "name": name, "sha256": sha},
        "artifact",
    )
    return sha


def flush(timeout=None):
    """Wait (at most ``timeout`` s, default WB_FLUSH_TIMEOUT) until every event so far is
    written to the channel or the spool. Returns False when the time ran out."""
    if timeout is None:
        timeout = _transport.flush_timeout()
    return _T.flush(timeout)


def finish(status=None, message=None):
    """Optionally declare the run's outcome, then flush (bounded by WB_FLUSH_TIMEOUT).

    ``status``: None, "succeeded" or "failed" (a run declared failed ends failed even
    with exit code 0). Logging may go on afterwards. Returns what ``flush`` returns.
    """
    if status is not None:
        if status not in _format.STATES:
            raise ValueError("status must be 'succeeded' or 'failed', got %r" % (status,))
        event = {"type": "status", "state": status}
        if message is not None:
            event["message"] = str(message)[: _format.MAX_MESSAGE_CHARS]
        _send(event, "status")
    elif message is not None:
        log(message)
    return flush()
