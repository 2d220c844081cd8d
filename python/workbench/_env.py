"""Read-only helpers over the run environment (see docs/run-protocol.md)."""

import json
import os
import re


class DatasetNotFoundError(KeyError):
    """No dataset under the asked name (a KeyError whose message reads normally)."""

    def __str__(self):
        return str(self.args[0]) if self.args else "dataset not found"


def run_id():
    """The run's id, or None outside a supervised run."""
    return os.environ.get("WB_RUN_ID") or None


def in_run():
    """True when the process is supervised (an event channel was handed to it)."""
    return bool(os.environ.get("WB_EVENT_FD", "").strip())


def params():
    """The run's params (a new dict each call); {} outside a run."""
    raw = os.environ.get("WB_PARAMS")
    if raw is None or not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ValueError("WB_PARAMS is not valid JSON (%s): %r" % (exc, raw[:200])) from None
    if not isinstance(value, dict):
        raise ValueError("WB_PARAMS must be a JSON object, got %s" % type(value).__name__)
    return value


def _datasets():
    raw = os.environ.get("WB_DATASETS")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def dataset_path(name=None):
    """Path of a dataset given to the run: the first one, or the one called ``name``."""
    datasets = _datasets()
    if name is None:
        path = os.environ.get("WB_DATASET")
        if path:
            return path
        if datasets:  # WB_DATASET is the first; fall back on the mapping's first entry
            return str(next(iter(datasets.values())))
        raise DatasetNotFoundError(
            "no dataset was given to this run (WB_DATASET is not set); start the run "
            "with a dataset, e.g. `wb run --dataset NAME ...`"
        )
    if not isinstance(name, str) or not name:
        raise TypeError("dataset name must be a non-empty str, got %r" % (name,))
    if name in datasets:
        return str(datasets[name])
    path = os.environ.get("WB_DATASET_" + re.sub(r"[^A-Z0-9]", "_", name.upper()))
    if path:
        return path
    available = ", ".join(sorted(datasets)) if datasets else "none"
    raise DatasetNotFoundError(
        "no dataset named %r in this run (available: %s)" % (name, available)
    )


def output_dir():
    """The folder for the run's outputs (WB_OUTPUT_DIR), or the current folder."""
    path = os.environ.get("WB_OUTPUT_DIR")
    if not path:
        return os.getcwd()
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        pass  # reported by whatever writes there
    return path
