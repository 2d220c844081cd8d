"""Validation and JSON-lines formatting of run-protocol events.

Two halves:

* validation runs in the caller's thread, so bad input raises right where the user
  wrote it (TypeError/ValueError with a message that says what to pass);
* formatting of the hot events (``metric``/``metrics``) runs in the writer thread, in
  batches, from small tuples. Metric keys are escaped once and cached.

Everything produced here is pure ASCII JSON (``ensure_ascii``): a line can never carry
invalid UTF-8 (lone surrogates, ...), and ``len(str) == len(bytes)``, which the writer
relies on to cut atomic chunks without encoding twice.
"""

import json
import math
import operator
import os

MAX_KEY_LEN = 256  # counted as the supervisor (JavaScript) counts: UTF-16 code units
MAX_STEP = 2**53 - 1  # larger integers do not survive a JSON round trip through a double
MAX_TAG_CHARS = 4096
# A log message longer than this is cut (a line must stay under the protocol's 1 MiB,
# and an escaped character can take up to 12 bytes).
MAX_MESSAGE_CHARS = 65536
# Protocol limit on one line, with a margin for the envelope.
MAX_LINE_BYTES = 1024 * 1024 - 1024
# Unique metric keys cached; beyond this keys are still valid, just escaped each time
# (guards against f"loss_{step}"-style keys growing the cache without bound).
_CACHE_LIMIT = 100_000

LEVELS = {
    "TRACE": "DEBUG",
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARN": "WARN",
    "WARNING": "WARN",
    "ERROR": "ERROR",
    "CRITICAL": "ERROR",
    "FATAL": "ERROR",
}
STATES = ("succeeded", "failed")

_dumps = json.JSONEncoder(
    ensure_ascii=True, allow_nan=False, separators=(",", ":")
).encode

# key -> '{"type":"metric","key":"<escaped>","value":' (read lock-free by log_metric)
metric_prefix_cache = {}
# key -> '"<escaped>"'
_key_json_cache = {}


def _describe(value):
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return "%s %s" % (type(value).__name__, text)


def check_key(key, what="metric key"):
    """Validate a key; returns it as a plain str."""
    if not isinstance(key, str):
        raise TypeError(
            "%s must be a non-empty str of at most %d characters, got %s"
            % (what, MAX_KEY_LEN, _describe(key))
        )
    if not key:
        raise ValueError("%s must be a non-empty string, got ''" % what)
    if not key.isprintable() and any(ord(c) < 32 or ord(c) == 127 for c in key):
        # A newline or tab in a key would break every table and log line that shows it.
        raise ValueError("%s must not contain control characters (newline, tab, ...), got %r" % (what, key[:40]))
    length = len(key) if key.isascii() else len(key.encode("utf-16-le", "surrogatepass")) // 2
    if length > MAX_KEY_LEN:
        raise ValueError(
            "%s must be at most %d characters, got %d: %r..."
            % (what, MAX_KEY_LEN, length, key[:40])
        )
    return str(key)


def key_json(key):
    """Escaped JSON string for a metric key (validated, cached)."""
    try:
        return _key_json_cache[key]
    except (KeyError, TypeError):  # TypeError: unhashable key, reported below
        pass
    escaped = _dumps(check_key(key))
    if len(_key_json_cache) < _CACHE_LIMIT:
        _key_json_cache[key] = escaped
    return escaped


def metric_prefix(key):
    """Slow path of log_metric: first time a key is seen."""
    prefix = '{"type":"metric","key":' + key_json(key) + ',"value":'
    if len(metric_prefix_cache) < _CACHE_LIMIT:
        metric_prefix_cache[key] = prefix
    return prefix


def _is_boolish(value):
    # bool, numpy.bool_, torch bool tensors: numbers in disguise that are almost always
    # a mistake as a metric value or a step.
    if isinstance(value, bool) or type(value).__name__ in ("bool_", "bool"):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and "bool" in str(dtype)


def coerce_value(value, key, label=None):
    """Slow path for a metric value that is not a plain int/float.

    Accepts anything number-like (numpy/torch scalars, Decimal, Fraction): integer
    types via ``__index__``, the rest via ``__float__``. ``label`` names the value in
    error messages (default: the metric's).
    """
    label = label or "metric value for %r" % (key,)
    if _is_boolish(value) or isinstance(value, (str, bytes)) or value is None:
        raise TypeError(
            "%s must be a number (int, float, or a numpy/torch scalar), got %s; pass a "
            "number, e.g. float(value)" % (label, _describe(value))
        )
    if isinstance(value, float):  # float subclass
        return float(value)
    if hasattr(value, "__index__"):
        try:
            return operator.index(value)
        except TypeError:
            pass  # e.g. a multi-element tensor: let __float__ report it
    if hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                "%s must be a single number, got %s (%s); pass e.g. float(value) or "
                "value.item()" % (label, _describe(value), exc)
            ) from None
    raise TypeError(
        "%s must be a number (int, float, or a numpy/torch scalar), got %s; pass a "
        "number, e.g. float(value)" % (label, _describe(value))
    )


def coerce_step(step):
    """Slow path for a step that is not a plain non-negative int (None handled by caller)."""
    if _is_boolish(step) or not hasattr(step, "__index__"):
        raise TypeError(
            "step must be an int >= 0 (or None to use the key's previous step + 1), "
            "got %s; pass e.g. int(step)" % _describe(step)
        )
    try:
        step = operator.index(step)
    except TypeError:
        raise TypeError(
            "step must be a single int >= 0, got %s; pass e.g. int(step)" % _describe(step)
        ) from None
    if step < 0:
        raise ValueError("step must be >= 0, got %d" % step)
    if step > MAX_STEP:
        raise ValueError("step must be at most 2**53 - 1, got %d" % step)
    return step


def _nonfinite(v):
    if v != v:
        return '"NaN"'
    return '"Infinity"' if v > 0 else '"-Infinity"'


def number_json(v):
    """JSON text for a validated int/float; NaN/±Inf become protocol strings."""
    if type(v) is float:
        if v - v == 0.0:  # finite (inf - inf and nan - x are NaN)
            return repr(v)
        return _nonfinite(v)
    return repr(v)


def coerce_number(value, label):
    """A number for progress(); not bool, not str (finiteness is the caller's check)."""
    if type(value) is int or type(value) is float:
        return value
    return coerce_value(value, None, label)


def format_batch(batch, out):
    """Append one JSON line per item of ``batch`` to ``out``; return flush markers met.

    Items (built by the public API):
      * tuple  ``(prefix, value, step, ts)``           -> a ``metric`` event
      * list   ``[((keyjson, value), ...), step, ts]`` -> a ``metrics`` event
      * str    a complete line, formatted by the caller
      * anything else: a flush marker, returned to the writer

    This loop is most of the client's CPU time. Two things keep it cheap: ``repr`` is
    the fastest exact float formatting, and its output ends in ``n``/``f`` only for
    nan/inf (finite floats and ints end in a digit); and ``ts`` is written with
    millisecond precision, formatted once per millisecond rather than once per event
    (a full-precision ``repr`` of a Unix time costs as much as the rest of the line).
    """
    append = out.append
    markers = None
    last_ms = -1
    ts_tail = ""
    for it in batch:
        t = type(it)
        if t is tuple:
            prefix, v, step, ts = it
            ms = int(ts * 1000.0)
            if ms != last_ms:
                last_ms = ms
                ts_tail = ',"ts":%d.%03d}\n' % divmod(ms, 1000)
            vs = repr(v)
            if vs[-1] in "nf":
                vs = _nonfinite(v)
            if step is None:
                append(prefix + vs + ts_tail)
            else:
                append(f'{prefix}{vs},"step":{step}{ts_tail}')
        elif t is str:
            append(it)
        elif t is list:
            pairs, step, ts = it
            body = ",".join([k + ":" + number_json(v) for k, v in pairs])
            if step is None:
                append('{"type":"metrics","values":{%s},"ts":%r}\n' % (body, ts))
            else:
                append(
                    '{"type":"metrics","values":{%s},"step":%d,"ts":%r}\n' % (body, step, ts)
                )
        else:
            if markers is None:
                markers = []
            markers.append(it)
    return markers


def jsonable(value, _depth=0):
    """Best-effort conversion of a param value to something JSON can carry.

    numpy scalars/arrays via ``tolist()``, paths via ``os.fspath``, non-finite floats as
    the protocol strings, anything else via ``str()``: logging a param never fails on
    its value's type.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if _depth > 50:
        return str(value)
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else str(jsonable(k, _depth + 1))): jsonable(v, _depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v, _depth + 1) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays, torch tensors
    if callable(tolist):
        try:
            return jsonable(tolist(), _depth + 1)
        except Exception:
            pass
    return str(value)


def event_line(event):
    """One complete JSON line for a (small, already validated) event dict."""
    return _dumps(event) + "\n"
