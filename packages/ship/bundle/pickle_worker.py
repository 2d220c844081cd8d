#!/usr/bin/env python3
"""Prediction worker for a pickled scikit-learn model, supervised by `wb serve-model`.

    python3 pickle_worker.py MODEL.pkl

Loads the pickle once, prints one JSON line ({"ready": true, ...} or {"error": "..."}), then
answers one JSON line per request on stdin:

    {"id": 1, "columns": ["amount", "merchant"], "rows": [[12.5, "fuel"], [null, "shop"]]}
 -> {"id": 1, "predictions": [0, 1], "probabilities": [[0.9, 0.1], [0.2, 0.8]]}

The requests arrive validated against the model's signature (column names and types); null
is a missing value (NaN). The pickle is either the dict the tabular-sklearn template saves
(pipeline, feature_names, label_encoder) or any object with predict(). Unpickling runs the
pickle's code: serve only pickles you trust (registered from your own runs).
"""

import json
import pickle
import sys


def _reply(obj):
    sys.stdout.write(json.dumps(obj, allow_nan=False, default=_plain) + "\n")
    sys.stdout.flush()


def _plain(value):
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    raise TypeError("not JSON serialisable: %r" % type(value).__name__)


def _finite(values):
    out = []
    for v in values:
        if isinstance(v, list):
            out.append(_finite(v))
        elif isinstance(v, float) and v != v or v in (float("inf"), float("-inf")):
            out.append(None)
        else:
            out.append(v)
    return out


def load(path):
    with open(path, "rb") as f:
        obj = pickle.load(f)
    if isinstance(obj, dict) and "pipeline" in obj:
        return obj["pipeline"], obj.get("label_encoder"), obj.get("feature_names")
    if hasattr(obj, "predict"):
        return obj, None, None
    raise ValueError("the pickle holds neither a model with predict() nor a tabular-sklearn bundle")


def predict_rows(model, label_encoder, feature_names, columns, rows):
    """Predictions (labels decoded) and, where the model has them, class probabilities."""
    import numpy as np

    order = columns
    if feature_names is not None:
        missing = [c for c in feature_names if c not in columns]
        if missing:
            raise ValueError("missing column(s): %s" % ", ".join(missing))
        order = feature_names
    index = [columns.index(c) for c in order]
    X = np.empty((len(rows), len(order)), dtype=object)
    for i, row in enumerate(rows):
        for j, k in enumerate(index):
            v = row[k]
            X[i, j] = np.nan if v is None else v
    pred = model.predict(X)
    if label_encoder is not None:
        pred = label_encoder.inverse_transform(pred)
    out = {"predictions": _finite(_plain(np.asarray(pred)))}
    if hasattr(model, "predict_proba"):
        try:
            out["probabilities"] = _finite(_plain(model.predict_proba(X)))
        except Exception:  # some estimators only predict
            pass
    return out


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: pickle_worker.py MODEL.pkl\n")
        sys.exit(2)
    try:
        import numpy as np

        model, label_encoder, feature_names = load(sys.argv[1])
        import sklearn

        versions = {"python": sys.version.split()[0], "sklearn": sklearn.__version__, "numpy": np.__version__}
    except Exception as exc:  # report any load failure as one line, then stop
        _reply({"error": "%s: %s" % (type(exc).__name__, exc)})
        sys.exit(1)
    _reply({"ready": True, "featureNames": feature_names, **versions})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            out = predict_rows(model, label_encoder, feature_names, req["columns"], req["rows"])
            out["id"] = rid
            _reply(out)
        except Exception as exc:
            _reply({"id": rid, "error": "%s: %s" % (type(exc).__name__, str(exc)[:500])})


if __name__ == "__main__":
    main()
