#!/usr/bin/env python3
"""tabular-sklearn: a cross-validated scikit-learn model on one CSV file.

Run by the Workbench supervisor (see docs/run-protocol.md): params come from WB_PARAMS
(defaults from template.json beside this file), the CSV from WB_DATASET. Reports:

* params: the resolved settings (task, model, folds, ...) and the data's shape;
* per fold (step = fold index, from 0): accuracy and macro F1, or RMSE and R2;
* cv_<metric>_mean (and _std) over the folds; test_<metric> when test_size is given;
* model.schema.json: the input signature (columns, their types, class labels) that
  `wb serve-model` checks requests against (the ONNX one when model.onnx is written);
* model.pkl: a dict with the pipeline fitted on all rows, the feature names and the
  label encoder, logged as an artifact of kind "model".

Using model.pkl: build a 2-D object array with one column per name in
``feature_names``: floats (nan when missing) for ``numeric_features``, strings (or nan)
for ``categorical_features``; ``pipeline.predict(X)`` returns encoded labels that
``label_encoder.inverse_transform`` turns back into the target's values.

Exit codes: 0 success, 1 unexpected error, 2 usage error or missing dependency.

The CSV handling shared with the other tabular template lives in templates/_shared.
"""

import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _missing_dependency(exc):
    sys.stderr.write(
        "error: the tabular-sklearn template needs scikit-learn and numpy, which are not "
        "importable by %s (%s).\n"
        "Install them with:  apt-get install python3-sklearn\n"
        "(or in a virtual environment: pip install scikit-learn numpy)\n" % (sys.executable, exc)
    )
    sys.exit(2)


try:
    import numpy as np
    import sklearn
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, f1_score, mean_squared_error, r2_score
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import LabelEncoder, OneHotEncoder, OrdinalEncoder, StandardScaler
except ImportError as _exc:
    _missing_dependency(_exc)

try:
    import workbench as wb
except ImportError:  # run from a checkout without PYTHONPATH: use the client beside it
    sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
    import workbench as wb

# The CSV handling both tabular templates share (templates/_shared).
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "_shared"))
from tabular_csv import (  # noqa: E402
    MAX_CLASSES_FOR_AUTO,
    UsageError,
    as_choice,
    as_int,
    dataset_file,
    is_missing,
    load_params,
    read_csv,
)


# Categorical features with more distinct values than this are ordinal-encoded instead
# of one-hot encoded (one-hot would make a feature per value).
MAX_ONE_HOT = 50


# ---- params ------------------------------------------------------------------------


# ---- data --------------------------------------------------------------------------


def to_floats(cells):
    """Floats (nan for missing), or None when some non-missing cell is not a number."""
    out = np.empty(len(cells), dtype=float)
    for i, cell in enumerate(cells):
        if is_missing(cell):
            out[i] = np.nan
            continue
        try:
            out[i] = float(cell)
        except ValueError:
            return None
    return out


# ---- model -------------------------------------------------------------------------


def build_pipeline(task, model, seed, numeric_idx, categorical_idx, cardinality):
    numeric_steps = [("impute", SimpleImputer(strategy="median"))]
    if model == "linear":
        numeric_steps.append(("scale", StandardScaler()))
    parts = []
    if numeric_idx:
        parts.append(("numeric", Pipeline(numeric_steps), numeric_idx))
    one_hot = [i for i in categorical_idx if cardinality[i] <= MAX_ONE_HOT]
    ordinal = [i for i in categorical_idx if cardinality[i] > MAX_ONE_HOT]
    fill = ("impute", SimpleImputer(strategy="constant", fill_value="__missing__"))
    if one_hot:
        parts.append(
            ("one_hot", Pipeline([fill, ("encode", OneHotEncoder(handle_unknown="ignore"))]), one_hot)
        )
    if ordinal:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
        parts.append(("ordinal", Pipeline([fill, ("encode", encoder)]), ordinal))
    # sparse_threshold=0: dense output whatever the sklearn version's one-hot default.
    features = ColumnTransformer(parts, sparse_threshold=0.0)
    if task == "classification":
        estimator = (
            LogisticRegression(max_iter=2000)
            if model == "linear"
            else RandomForestClassifier(n_estimators=100, random_state=seed)
        )
    else:
        estimator = (
            Ridge() if model == "linear" else RandomForestRegressor(n_estimators=100, random_state=seed)
        )
    return Pipeline([("features", features), ("model", estimator)])


def scores(task, y_true, y_pred):
    if task == "classification":
        return {
            "accuracy": float(accuracy_score(y_true, y_pred)),
            "f1": float(f1_score(y_true, y_pred, average="macro")),
        }
    return {
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "r2": float(r2_score(y_true, y_pred)),
    }


def main():
    params = load_params(HERE)
    path = dataset_file()
    header, columns = read_csv(path)

    target = params.get("target")
    if target is None or str(target).strip() == "":
        raise UsageError(
            "param target is required: pass --param target=<column>; the columns are: %s"
            % ", ".join(header)
        )
    target = str(target).strip()
    if target not in header:
        raise UsageError(
            "target column %r is not in the dataset; the columns are: %s" % (target, ", ".join(header))
        )
    task = as_choice("task", params.get("task") or "auto", ("auto", "classification", "regression"))
    model = as_choice("model", params.get("model") or "auto", ("auto", "random_forest", "linear"))
    model = "random_forest" if model == "auto" else model
    folds = as_int("folds", params.get("folds"), 2)
    seed = as_int("seed", params.get("seed"), 0)

    # Rows without a target cannot be used for training or scoring.
    t = header.index(target)
    keep = [i for i, cell in enumerate(columns[t]) if not is_missing(cell)]
    dropped = len(columns[t]) - len(keep)
    if dropped:
        wb.log("dropped %d row(s) with a missing %r value" % (dropped, target), "WARN")
    columns = [[col[i] for i in keep] for col in columns]
    n_rows = len(keep)

    raw_target = columns[t]
    numeric_target = to_floats(raw_target)
    if task == "auto":
        integral = numeric_target is not None and bool(np.all(numeric_target == np.round(numeric_target)))
        few = len(set(raw_target)) <= MAX_CLASSES_FOR_AUTO
        task = "classification" if numeric_target is None or (integral and few) else "regression"
    label_encoder = None
    if task == "classification":
        labels = raw_target
        if numeric_target is not None and np.all(numeric_target == np.round(numeric_target)):
            labels = numeric_target.astype(np.int64)  # "1" and "1.0" are the same class
        label_encoder = LabelEncoder().fit(labels)
        y = label_encoder.transform(labels)
        if len(label_encoder.classes_) < 2:
            raise UsageError("target %r has a single class (%r): nothing to learn" % (target, label_encoder.classes_[0]))
    else:
        if numeric_target is None:
            bad = next(c for c in raw_target if to_floats([c]) is None)
            raise UsageError(
                "task=regression needs a numeric target, but %r holds %r; use task=classification"
                % (target, bad)
            )
        y = numeric_target

    # Features: every other column; numeric when every present cell parses as a number.
    feature_names = [name for name in header if name != target]
    X = np.empty((n_rows, len(feature_names)), dtype=object)
    numeric_idx, categorical_idx, cardinality = [], [], {}
    for j, name in enumerate(feature_names):
        cells = columns[header.index(name)]
        values = to_floats(cells)
        if values is not None:
            numeric_idx.append(j)
            X[:, j] = values
        else:
            categorical_idx.append(j)
            X[:, j] = [np.nan if is_missing(c) else c for c in cells]
            cardinality[j] = len(set(cells))
    if not feature_names:
        raise UsageError("the dataset has no column besides the target %r" % target)
    if folds > n_rows:
        raise UsageError("folds=%d is more than the %d usable rows" % (folds, n_rows))

    X_cv, y_cv, X_test, y_test = X, y, None, None
    test_size = params.get("test_size")
    if test_size not in (None, ""):
        try:
            test_size = float(test_size)
        except (TypeError, ValueError):
            raise UsageError("param test_size must be a fraction in (0, 1) or a row count, got %r" % (test_size,))
        if test_size >= 1:
            test_size = int(test_size)
        if not (0 < test_size < n_rows):
            raise UsageError("param test_size must be a fraction in (0, 1) or a row count below %d" % n_rows)
        stratify = y if task == "classification" and np.bincount(y).min() >= 2 else None
        X_cv, X_test, y_cv, y_test = train_test_split(
            X, y, test_size=test_size, random_state=seed, stratify=stratify
        )
    else:
        test_size = None

    wb.log_environment(["scikit-learn", "numpy"])
    wb.log_params(
        {
            "target": target,
            "task": task,
            "model": model,
            "folds": folds,
            "seed": seed,
            "test_size": test_size,
            "rows": n_rows,
            "features": len(feature_names),
            "numeric_features": len(numeric_idx),
            "categorical_features": len(categorical_idx),
            "classes": len(label_encoder.classes_) if label_encoder is not None else None,
            "sklearn_version": sklearn.__version__,
        }
    )

    pipeline = build_pipeline(task, model, seed, numeric_idx, categorical_idx, cardinality)
    if task == "classification":
        smallest = int(np.bincount(y_cv).min())
        if smallest >= folds:
            splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        else:
            wb.log(
                "the smallest class has %d row(s), fewer than folds=%d: using plain (not "
                "stratified) folds" % (smallest, folds),
                "WARN",
            )
            splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=folds, shuffle=True, random_state=seed)

    steps_total = folds + 1  # the folds, then the final fit
    per_fold = []
    for fold, (train_idx, valid_idx) in enumerate(splitter.split(X_cv, y_cv)):
        fitted = clone(pipeline).fit(X_cv[train_idx], y_cv[train_idx])
        fold_scores = scores(task, y_cv[valid_idx], fitted.predict(X_cv[valid_idx]))
        per_fold.append(fold_scores)
        wb.log_metrics(fold_scores, step=fold)
        wb.progress(fold + 1, steps_total)
        wb.log("fold %d/%d: %s" % (fold + 1, folds, ", ".join("%s=%.4f" % kv for kv in fold_scores.items())))

    summary = {}
    for name in per_fold[0]:
        values = np.array([s[name] for s in per_fold])
        summary["cv_%s_mean" % name] = float(values.mean())
        summary["cv_%s_std" % name] = float(values.std())
    if X_test is not None:
        fitted = clone(pipeline).fit(X_cv, y_cv)
        summary.update(
            {"test_%s" % k: v for k, v in scores(task, y_test, fitted.predict(X_test)).items()}
        )
    wb.log_metrics(summary)

    final = clone(pipeline).fit(X, y)
    wb.progress(steps_total, steps_total)
    out_path = os.path.join(wb.output_dir(), "model.pkl")
    bundle = {
        "pipeline": final,
        "feature_names": feature_names,
        "numeric_features": [feature_names[j] for j in numeric_idx],
        "categorical_features": [feature_names[j] for j in categorical_idx],
        "label_encoder": label_encoder,
        "target": target,
        "task": task,
        "model": model,
        "sklearn_version": sklearn.__version__,
    }
    with open(out_path, "wb") as f:
        pickle.dump(bundle, f, protocol=pickle.HIGHEST_PROTOCOL)
    wb.log_artifact(out_path, name="model.pkl", kind="model")
    if not export_onnx(final, feature_names, numeric_idx, categorical_idx, label_encoder, task):
        # The pickle's own signature: mixed columns, typed one by one (what `wb serve-model` checks).
        write_signature(
            wb.output_dir(),
            "features",
            feature_names,
            [{"name": "label", "dtype": "string", "shape": [None]}],
            label_encoder,
            task,
            dtype="object",
            column_types=["number" if j in numeric_idx else "string" for j in range(len(feature_names))],
        )
    wb.log(
        "done: %s"
        % ", ".join("%s=%.4f" % (k, v) for k, v in summary.items() if not k.endswith("_std"))
    )


def export_onnx(final, feature_names, numeric_idx, categorical_idx, label_encoder, task):
    """Also save model.onnx (+ model.schema.json, its input signature) where skl2onnx is
    installed and every feature is numeric; model.pkl stays the reference model."""
    try:
        from skl2onnx import convert_sklearn
        from skl2onnx.common.data_types import FloatTensorType
    except ImportError:
        wb.log("model.onnx not written: skl2onnx is not installed (model.pkl is the model)", "WARN")
        return False
    if categorical_idx:
        wb.log("model.onnx not written: the ONNX export covers numeric features only", "WARN")
        return False
    n = len(feature_names)
    try:
        onx = convert_sklearn(
            final,
            initial_types=[("features", FloatTensorType([None, n]))],
            options={id(final.steps[-1][1]): {"zipmap": False}} if task == "classification" else None,
        )
    except Exception as exc:  # a converter gap must not fail a finished training run
        wb.log("model.onnx not written: skl2onnx could not convert the pipeline (%s)" % exc, "WARN")
        return False
    out_dir = wb.output_dir()
    onnx_path = os.path.join(out_dir, "model.onnx")
    with open(onnx_path, "wb") as f:
        f.write(onx.SerializeToString())
    outputs = [{"name": o.name, "dtype": "int64" if o.name == "label" else "float32", "shape": [None] if o.name in ("label", "variable") else [None, None]} for o in onx.graph.output]
    write_signature(out_dir, "features", feature_names, outputs, label_encoder, task)
    wb.log_artifact(onnx_path, name="model.onnx", kind="model")
    return True


def write_signature(out_dir, input_name, columns, outputs, label_encoder, task, dtype="float32", column_types=None):
    import json

    signature = {
        "inputs": [{"name": input_name, "dtype": dtype, "shape": [None, len(columns)], "columns": list(columns)}],
        "outputs": outputs,
        "task": task,
    }
    if column_types is not None:
        signature["inputs"][0]["columnTypes"] = column_types
    if label_encoder is not None:
        signature["labels"] = [c.item() if hasattr(c, "item") else c for c in label_encoder.classes_]
    path = os.path.join(out_dir, "model.schema.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(signature, f, indent=2)
    wb.log_artifact(path, name="model.schema.json", kind="file")


if __name__ == "__main__":
    try:
        main()
    except UsageError as exc:
        sys.stderr.write("error: %s\n" % exc)
        wb.finish("failed", str(exc))
        sys.exit(2)
