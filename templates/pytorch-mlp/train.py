#!/usr/bin/env python3
"""pytorch-mlp: a small multi-layer perceptron on one CSV file, CPU only.

Run by the Workbench supervisor (see docs/run-protocol.md): params come from WB_PARAMS
(defaults from template.json beside this file), the CSV from WB_DATASET. Reports:

* params: the resolved settings and the data's shape;
* per epoch (step = epoch, from 1): train_loss, val_loss, and val_accuracy
  (classification) or val_rmse (regression, in the target's units);
* artifacts: model.onnx (kind "model"), model.schema.json (its input signature: column
  names, dtype, shape, class labels), model.pt (the state dict, kind "model") and
  preprocessing.json (the input layout and class labels, kind "file").

The exported network takes one float32 input ``features`` of shape [batch, n_inputs]:
the numeric columns as they are (NaN when missing: standardisation and mean imputation
are inside the graph), then one 0/1 column per known category of each categorical
column, in the order preprocessing.json lists under ``inputs``. Its output is the class
logits (``classes`` gives their labels) or the predicted value.

Exit codes: 0 success, 1 unexpected error, 2 usage error or missing dependency.

The CSV handling shared with the other tabular template lives in templates/_shared.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _missing_dependency(exc):
    sys.stderr.write(
        "error: the pytorch-mlp template needs PyTorch and numpy, which are not importable "
        "by %s (%s).\n"
        "Install them with:  apt-get install python3-torch   (it brings python3-numpy)\n"
        % (sys.executable, exc)
    )
    sys.exit(2)


try:
    import numpy as np
    import torch
    from torch import nn
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


# Per categorical column, only the most frequent categories get an input (the rest, and
# unseen ones, encode as all zeros): keeps the input layer small.
MAX_CATEGORIES = 50


# ---- params ------------------------------------------------------------------------


def as_float(name, value, low, high):
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool) or not (low < number < high):
        raise UsageError("param %s must be a number between %g and %g, got %r" % (name, low, high, value))
    return number


# ---- data --------------------------------------------------------------------------


def to_floats(cells):
    """Floats (nan for missing), or None when some non-missing cell is not a number."""
    out = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if is_missing(cell):
            out[i] = np.nan
            continue
        try:
            out[i] = float(cell)
        except ValueError:
            return None
    return out


def encode_features(feature_cells, train_rows):
    """The network's input matrix and its layout, learnt from the training rows only.

    Numeric columns stay raw (NaN when missing; the network standardises them);
    categorical ones become one 0/1 column per frequent category.
    """
    numeric, categorical, blocks, layout = [], {}, [], []
    n = len(next(iter(feature_cells.values()))) if feature_cells else 0
    for name, cells in feature_cells.items():
        values = to_floats(cells)
        if values is not None:
            numeric.append(name)
            blocks.append(values[:, None])
            layout.append(name)
    for name, cells in feature_cells.items():
        if name in numeric:
            continue
        counts = {}
        for i in train_rows:
            if not is_missing(cells[i]):
                counts[cells[i]] = counts.get(cells[i], 0) + 1
        cats = sorted(counts, key=lambda c: (-counts[c], c))[:MAX_CATEGORIES]
        categorical[name] = cats
        index = {c: k for k, c in enumerate(cats)}
        block = np.zeros((n, len(cats)))
        for i, cell in enumerate(cells):
            k = index.get(cell)
            if k is not None:
                block[i, k] = 1.0
        blocks.append(block)
        layout.extend("%s=%s" % (name, c) for c in cats)
    X = np.hstack(blocks).astype(np.float32) if blocks else np.zeros((n, 0), np.float32)
    return X, numeric, categorical, layout


# ---- model -------------------------------------------------------------------------


class MLP(nn.Module):
    """Standardise + impute the numeric inputs, then two hidden ReLU layers.

    Preprocessing lives in the module (as buffers) so that the exported ONNX graph
    takes raw feature values, and a regression output comes back in the target's units.
    """

    def __init__(self, n_numeric, n_inputs, hidden, n_outputs, mean, std, y_mean=0.0, y_std=1.0):
        super().__init__()
        self.n_numeric = n_numeric
        self.n_inputs = n_inputs
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
        self.register_buffer("y_mean", torch.tensor(float(y_mean)))
        self.register_buffer("y_std", torch.tensor(float(y_std)))
        self.regression = n_outputs == 1
        self.net = nn.Sequential(
            nn.Linear(n_inputs, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_outputs),
        )

    def raw(self, x):
        """Logits, or the standardised regression output (what the loss sees)."""
        k = self.n_numeric
        if k:
            num = (x[:, :k] - self.mean) / self.std
            num = torch.where(torch.isnan(num), torch.zeros_like(num), num)  # mean-impute
            x = torch.cat([num, x[:, k:]], dim=1) if k < self.n_inputs else num
        out = self.net(x)
        return out.squeeze(1) if self.regression else out

    def forward(self, x):
        out = self.raw(x)
        return out * self.y_std + self.y_mean if self.regression else out


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
    epochs = as_int("epochs", params.get("epochs"), 1, 100000)
    hidden = as_int("hidden", params.get("hidden"), 1, 4096)
    batch_size = as_int("batch_size", params.get("batch_size"), 1, 1 << 20)
    seed = as_int("seed", params.get("seed"), 0)
    lr = as_float("lr", params.get("lr"), 0.0, 10.0)
    val_size = as_float("val_size", params.get("val_size"), 0.0, 1.0)

    torch.set_num_threads(2)  # a template run shares the machine: stay on two cores
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)

    t = header.index(target)
    keep = [i for i, cell in enumerate(columns[t]) if not is_missing(cell)]
    dropped = len(columns[t]) - len(keep)
    if dropped:
        wb.log("dropped %d row(s) with a missing %r value" % (dropped, target), "WARN")
    columns = [[col[i] for i in keep] for col in columns]
    n_rows = len(keep)
    if n_rows < 2:
        raise UsageError("need at least 2 rows with a %r value, got %d" % (target, n_rows))

    raw_target = columns[t]
    numeric_target = to_floats(raw_target)
    integral = numeric_target is not None and bool(np.all(numeric_target == np.round(numeric_target)))
    if task == "auto":
        few = len(set(raw_target)) <= MAX_CLASSES_FOR_AUTO
        task = "classification" if numeric_target is None or (integral and few) else "regression"
    classes = None
    if task == "classification":
        labels = [int(v) for v in numeric_target] if integral else raw_target
        classes = sorted(set(labels))
        if len(classes) < 2:
            raise UsageError("target %r has a single class (%r): nothing to learn" % (target, classes[0]))
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[v] for v in labels], dtype=np.int64)
    else:
        if numeric_target is None:
            raise UsageError("task=regression needs a numeric target column; use task=classification")
        y = numeric_target.astype(np.float32)

    # Train/validation split (the validation rows never shape the preprocessing).
    order = rng.permutation(n_rows)
    n_val = min(max(1, int(round(val_size * n_rows))), n_rows - 1)
    val_rows, train_rows = np.sort(order[:n_val]), np.sort(order[n_val:])

    feature_names = [name for name in header if name != target]
    if not feature_names:
        raise UsageError("the dataset has no column besides the target %r" % target)
    X, numeric, categorical, layout = encode_features(
        {name: columns[header.index(name)] for name in feature_names}, train_rows
    )
    k = len(numeric)
    with np.errstate(all="ignore"):  # all-NaN columns: mean/std of nothing
        mean = np.nanmean(X[train_rows, :k], axis=0) if k else np.zeros(0)
        std = np.nanstd(X[train_rows, :k], axis=0) if k else np.zeros(0)
    mean = np.nan_to_num(mean, nan=0.0)
    std = np.where(np.isfinite(std) & (std > 0), std, 1.0)

    y_mean, y_std = 0.0, 1.0
    if task == "regression":
        y_mean = float(y[train_rows].mean())
        y_std = float(y[train_rows].std()) or 1.0
    n_outputs = len(classes) if task == "classification" else 1

    wb.log_environment(["torch", "numpy"])
    wb.log_params(
        {
            "target": target,
            "task": task,
            "epochs": epochs,
            "hidden": hidden,
            "lr": lr,
            "batch_size": batch_size,
            "val_size": val_size,
            "seed": seed,
            "rows": n_rows,
            "train_rows": len(train_rows),
            "val_rows": len(val_rows),
            "inputs": X.shape[1],
            "classes": len(classes) if classes else None,
            "torch_version": torch.__version__,
        }
    )

    model = MLP(k, X.shape[1], hidden, n_outputs, mean, std, y_mean, y_std)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss() if task == "classification" else nn.MSELoss()
    X_t = torch.from_numpy(X)
    y_t = torch.from_numpy(y if task == "classification" else (y - y_mean) / y_std)
    X_train, y_train = X_t[train_rows], y_t[train_rows]
    X_val, y_val = X_t[val_rows], y_t[val_rows]
    generator = torch.Generator().manual_seed(seed)

    for epoch in range(1, epochs + 1):
        model.train()
        total = 0.0
        for batch in torch.randperm(len(train_rows), generator=generator).split(batch_size):
            optimiser.zero_grad()
            loss = loss_fn(model.raw(X_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
        model.eval()
        with torch.no_grad():
            out = model.raw(X_val)
            metrics = {"train_loss": total / len(train_rows), "val_loss": loss_fn(out, y_val).item()}
            if task == "classification":
                metrics["val_accuracy"] = (out.argmax(1) == y_val).float().mean().item()
            else:
                rmse = torch.sqrt(torch.mean((out - y_val) ** 2)).item() * y_std
                metrics["val_rmse"] = rmse
        wb.log_metrics(metrics, step=epoch)
        wb.progress(epoch, epochs)
        if not np.isfinite(metrics["train_loss"]):
            raise UsageError("training diverged at epoch %d (loss is %s): lower lr" % (epoch, metrics["train_loss"]))

    out_dir = wb.output_dir()
    model.eval()
    onnx_path = os.path.join(out_dir, "model.onnx")
    output_name = "logits" if task == "classification" else "prediction"
    torch.onnx.export(
        model,
        torch.zeros(1, X.shape[1]),
        onnx_path,
        input_names=["features"],
        output_names=[output_name],
        dynamic_axes={"features": {0: "batch"}, output_name: {0: "batch"}},
        opset_version=13,
    )
    pt_path = os.path.join(out_dir, "model.pt")
    torch.save(model.state_dict(), pt_path)
    prep_path = os.path.join(out_dir, "preprocessing.json")
    with open(prep_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "target": target,
                "task": task,
                "input_name": "features",
                "output_name": output_name,
                "inputs": layout,
                "numeric_features": numeric,
                "categorical_features": categorical,
                "classes": classes,
                "hidden": hidden,
            },
            f,
            indent=2,
        )
    # The input signature the registry records: served requests are checked against it.
    schema_path = os.path.join(out_dir, "model.schema.json")
    with open(schema_path, "w", encoding="utf-8") as f:
        json.dump(
            {
                "inputs": [{"name": "features", "dtype": "float32", "shape": [None, X.shape[1]], "columns": layout}],
                "outputs": [{"name": output_name, "dtype": "float32", "shape": [None, n_outputs] if task == "classification" else [None]}],
                "labels": classes,
                "task": task,
            }
            if classes
            else {
                "inputs": [{"name": "features", "dtype": "float32", "shape": [None, X.shape[1]], "columns": layout}],
                "outputs": [{"name": output_name, "dtype": "float32", "shape": [None]}],
                "task": task,
            },
            f,
            indent=2,
        )
    wb.log_artifact(onnx_path, name="model.onnx", kind="model")
    wb.log_artifact(schema_path, name="model.schema.json", kind="file")
    wb.log_artifact(pt_path, name="model.pt", kind="model")
    wb.log_artifact(prep_path, name="preprocessing.json", kind="file")
    wb.log("done: %s" % ", ".join("%s=%.4f" % kv for kv in metrics.items()))


if __name__ == "__main__":
    try:
        main()
    except UsageError as exc:
        sys.stderr.write("error: %s\n" % exc)
        wb.finish("failed", str(exc))
        sys.exit(2)
