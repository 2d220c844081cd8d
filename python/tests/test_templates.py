"""The training templates, run as the supervisor runs them: `python train.py` with the
run-protocol environment and a real pipe on fd 3."""

import csv
import hashlib
import importlib.util
import json
import os
import random
import sys
import textwrap
import time
import unittest

from helpers import TEMPLATES_DIR, run_argv, run_python, tempdir

HAVE_SKLEARN = all(importlib.util.find_spec(m) for m in ("sklearn", "numpy"))
HAVE_TORCH = all(importlib.util.find_spec(m) for m in ("torch", "numpy"))
HAVE_ONNX = importlib.util.find_spec("onnx") is not None
NO_SKLEARN = (
    "scikit-learn/numpy are not importable by %s: run the tests with /usr/bin/python3 "
    "(apt-get install python3-sklearn)" % sys.executable
)
NO_TORCH = (
    "PyTorch is not importable by %s: run the tests with /usr/bin/python3 "
    "(apt-get install python3-torch)" % sys.executable
)


def write_classification_csv(path, rows=300, seed=1):
    """Species (a string target) from two numbers and a colour; some cells missing."""
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x1", "x2", "colour", "species"])
        for i in range(rows):
            x1, x2 = rnd.gauss(0, 1), rnd.gauss(0, 1)
            colour = rnd.choice(["red", "green", "blue"])
            if x1 + (0.8 if colour == "red" else 0.0) > 0.3:
                species = "setosa"
            else:
                species = "virginica" if x2 > 0 else "versicolor"
            w.writerow(
                [
                    "%.3f" % x1,
                    "" if i % 23 == 0 else "%.3f" % x2,  # missing feature cells
                    colour,
                    "" if i % 60 == 7 else species,  # missing target: row dropped
                ]
            )


def write_regression_csv(path, rows=300, seed=2):
    rnd = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["a", "b", "city", "price"])
        for _ in range(rows):
            a, b = rnd.uniform(0, 10), rnd.uniform(0, 5)
            city = rnd.choice(["x", "y"])
            price = 3 * a - 2 * b + (5 if city == "x" else 0) + rnd.gauss(0, 0.3)
            w.writerow(["%.3f" % a, "%.3f" % b, city, "%.3f" % price])


def run_template(testcase, name, dataset, params, timeout=180, prelude=None):
    """Run templates/<name>/train.py as the supervisor does: ``python train.py`` with the
    protocol's environment. ``prelude``: code run first (via runpy), e.g. to hide a
    package. Returns (result, output_dir)."""
    d = tempdir(testcase)
    out = os.path.join(d, "out")
    os.makedirs(out)
    script = os.path.join(TEMPLATES_DIR, name, "train.py")
    argv = [sys.executable, script]
    if prelude:
        argv = [
            sys.executable,
            "-c",
            prelude + "import runpy, sys\nsys.argv = [%r]\nrunpy.run_path(%r, run_name='__main__')\n"
            % (script, script),
        ]
    env = {
        "WB_RUN_ID": "test-run",
        "WB_PARAMS": json.dumps(params),
        "WB_OUTPUT_DIR": out,
        "WB_ATTEMPT": "1",
    }
    if dataset is not None:
        env["WB_DATASET"] = dataset
        env["WB_DATASETS"] = json.dumps({"data": dataset})
    return run_argv(argv, env=env, cwd=d, timeout=timeout), out


def metrics_by_step(events):
    return {e["step"]: e["values"] for e in events if e["type"] == "metrics" and "step" in e}


def final_metrics(events):
    merged = {}
    for e in events:
        if e["type"] == "metrics" and "step" not in e:
            merged.update(e["values"])
    return merged


class TemplateFilesTest(unittest.TestCase):
    def test_template_json_schema(self):
        for name in ("tabular-sklearn", "pytorch-mlp"):
            with open(os.path.join(TEMPLATES_DIR, name, "template.json")) as f:
                spec = json.load(f)
            self.assertEqual(spec["name"], name)
            self.assertEqual(spec["entry"], "train.py")
            self.assertIsInstance(spec["description"], str)
            self.assertIsInstance(spec["requires"], list)
            self.assertTrue(os.path.isfile(os.path.join(TEMPLATES_DIR, name, spec["entry"])))
            self.assertTrue(spec["params"]["target"]["required"])
            for pname, p in spec["params"].items():
                self.assertIsInstance(p["description"], str, pname)
                self.assertTrue("default" in p or "required" in p, pname)


class _Checks(unittest.TestCase):
    def check_artifact(self, events, name, kind):
        arts = [e for e in events if e["type"] == "artifact" and e["name"] == name]
        self.assertEqual(len(arts), 1, [e for e in events if e["type"] == "artifact"])
        art = arts[0]
        self.assertEqual(art["kind"], kind)
        self.assertTrue(os.path.isabs(art["path"]))
        with open(art["path"], "rb") as f:
            self.assertEqual(hashlib.sha256(f.read()).hexdigest(), art["sha256"])
        return art["path"]

    def check_usage_error(self, result, *words):
        self.assertEqual(result.rc, 2, result.describe())
        stderr = result.stderr.decode()
        for word in words:
            self.assertIn(word, stderr)
        status = [e for e in result.events if e["type"] == "status"]
        self.assertEqual([s["state"] for s in status], ["failed"])


class SklearnTemplateTest(_Checks):
    def test_missing_sklearn_is_explained(self):
        # Runs whatever is installed: sklearn is hidden from the child.
        d = tempdir(self)
        data = os.path.join(d, "data.csv")
        write_regression_csv(data, rows=20)
        r, _ = run_template(
            self, "tabular-sklearn", data, {"target": "price"},
            prelude="import sys\nsys.modules['sklearn'] = None\n",
        )
        self.assertEqual(r.rc, 2, r.describe())
        self.assertIn(b"apt-get install python3-sklearn", r.stderr)
        self.assertNotIn(b"Traceback", r.stderr)

    @unittest.skipUnless(HAVE_SKLEARN, NO_SKLEARN)
    def test_classification_string_target(self):
        d = tempdir(self)
        real = os.path.join(d, "blob-without-extension")
        write_classification_csv(real)
        link = os.path.join(d, "dataset")  # the supervisor hands a symlink, no extension
        os.symlink(real, link)
        r, out = run_template(self, "tabular-sklearn", link, {"target": "species", "folds": 3})
        self.assertEqual(r.rc, 0, r.describe())
        events = r.events

        params = [e for e in events if e["type"] == "params"][0]["values"]
        self.assertEqual(params["task"], "classification")
        self.assertEqual(params["model"], "random_forest")
        self.assertEqual(params["folds"], 3)
        self.assertEqual(params["rows"], 295)  # 5 rows without a target were dropped
        warnings = [e["message"] for e in events if e["type"] == "log" and e["level"] == "WARN"]
        self.assertTrue(any("dropped 5 row" in w for w in warnings), warnings)

        per_fold = metrics_by_step(events)
        self.assertEqual(sorted(per_fold), [0, 1, 2])
        for values in per_fold.values():
            self.assertEqual(set(values), {"accuracy", "f1"})
            self.assertGreater(values["accuracy"], 0.7)
        final = final_metrics(events)
        mean = sum(v["accuracy"] for v in per_fold.values()) / 3
        self.assertAlmostEqual(final["cv_accuracy_mean"], mean, places=9)
        self.assertIn("cv_f1_mean", final)
        progress = [(e["current"], e["total"]) for e in events if e["type"] == "progress"]
        self.assertEqual(progress, [(1, 4), (2, 4), (3, 4), (4, 4)])

        path = self.check_artifact(events, "model.pkl", "model")
        self.assertEqual(os.path.dirname(path), out)
        check = run_python(
            """
            import csv, json, pickle, numpy as np
            bundle = pickle.load(open(%r, "rb"))
            rows = list(csv.DictReader(open(%r)))
            rows = [r for r in rows if r["species"]]
            def cell(name, value):
                if name in bundle["numeric_features"]:
                    return float(value) if value else np.nan
                return value if value else np.nan
            X = np.array([[cell(n, r[n]) for n in bundle["feature_names"]] for r in rows], dtype=object)
            pred = bundle["label_encoder"].inverse_transform(bundle["pipeline"].predict(X))
            acc = float(np.mean([p == r["species"] for p, r in zip(pred, rows)]))
            print(json.dumps({"acc": acc, "labels": sorted(set(pred.tolist())),
                              "features": bundle["feature_names"]}))
            """
            % (path, real),
            fd3=False,
        )
        self.assertEqual(check.rc, 0, check.describe())
        got = json.loads(check.stdout)
        self.assertEqual(got["features"], ["x1", "x2", "colour"])
        self.assertEqual(got["labels"], ["setosa", "versicolor", "virginica"])
        self.assertGreater(got["acc"], 0.9)

    @unittest.skipUnless(HAVE_SKLEARN, NO_SKLEARN)
    def test_regression_linear_from_folder(self):
        d = tempdir(self)
        folder = os.path.join(d, "dataset")
        os.makedirs(folder)
        write_regression_csv(os.path.join(folder, "houses.csv"))
        with open(os.path.join(folder, "README.txt"), "w") as f:
            f.write("not data")
        r, _ = run_template(
            self, "tabular-sklearn", folder, {"target": "price", "model": "linear", "test_size": 0.25}
        )
        self.assertEqual(r.rc, 0, r.describe())
        events = r.events
        params = [e for e in events if e["type"] == "params"][0]["values"]
        self.assertEqual((params["task"], params["model"], params["folds"]), ("regression", "linear", 5))
        per_fold = metrics_by_step(events)
        self.assertEqual(sorted(per_fold), [0, 1, 2, 3, 4])
        for values in per_fold.values():
            self.assertEqual(set(values), {"rmse", "r2"})
            self.assertGreater(values["r2"], 0.9)
        final = final_metrics(events)
        for key in ("cv_rmse_mean", "cv_r2_mean", "test_rmse", "test_r2"):
            self.assertIn(key, final)
        path = self.check_artifact(events, "model.pkl", "model")
        check = run_python(
            """
            import pickle, numpy as np
            bundle = pickle.load(open(%r, "rb"))
            X = np.array([[2.0, 1.0, "x"], [5.0, np.nan, "y"]], dtype=object)
            print(bundle["label_encoder"], *bundle["pipeline"].predict(X))
            """
            % path,
            fd3=False,
        )
        self.assertEqual(check.rc, 0, check.describe())
        enc, p1, p2 = check.stdout.split()
        self.assertEqual(enc, b"None")
        self.assertAlmostEqual(float(p1), 3 * 2 - 2 * 1 + 5, delta=1.0)

    @unittest.skipUnless(HAVE_SKLEARN, NO_SKLEARN)
    def test_target_missing_or_unknown_lists_columns(self):
        d = tempdir(self)
        data = os.path.join(d, "data.csv")
        write_regression_csv(data, rows=30)
        r, _ = run_template(self, "tabular-sklearn", data, {})
        self.check_usage_error(r, "target is required", "a, b, city, price")
        r, _ = run_template(self, "tabular-sklearn", data, {"target": "cost"})
        self.check_usage_error(r, "'cost'", "a, b, city, price")

    @unittest.skipUnless(HAVE_SKLEARN, NO_SKLEARN)
    def test_bad_dataset_folder_and_params(self):
        d = tempdir(self)
        folder = os.path.join(d, "two")
        os.makedirs(folder)
        write_regression_csv(os.path.join(folder, "a.csv"), rows=20)
        write_regression_csv(os.path.join(folder, "b.csv"), rows=20)
        r, _ = run_template(self, "tabular-sklearn", folder, {"target": "price"})
        self.check_usage_error(r, "exactly one .csv", "a.csv, b.csv")
        r, _ = run_template(self, "tabular-sklearn", os.path.join(folder, "a.csv"), {"target": "price", "folds": 1})
        self.check_usage_error(r, "folds must be an integer >= 2")
        r, _ = run_template(self, "tabular-sklearn", None, {"target": "price"})
        self.check_usage_error(r, "no dataset")


class TorchTemplateTest(_Checks):
    def test_missing_torch_is_explained(self):
        d = tempdir(self)
        data = os.path.join(d, "data.csv")
        write_regression_csv(data, rows=20)
        r, _ = run_template(
            self, "pytorch-mlp", data, {"target": "price"},
            prelude="import sys\nsys.modules['torch'] = None\n",
        )
        self.assertEqual(r.rc, 2, r.describe())
        self.assertIn(b"apt-get install python3-torch", r.stderr)
        self.assertNotIn(b"Traceback", r.stderr)

    @unittest.skipUnless(HAVE_TORCH, NO_TORCH)
    def test_classification_exports_onnx(self):
        d = tempdir(self)
        data = os.path.join(d, "data")
        write_classification_csv(data, rows=1000)
        started = time.monotonic()
        r, out = run_template(self, "pytorch-mlp", data, {"target": "species", "epochs": 8})
        took = time.monotonic() - started
        self.assertEqual(r.rc, 0, r.describe())
        self.assertLess(took, 60)
        events = r.events
        params = [e for e in events if e["type"] == "params"][0]["values"]
        self.assertEqual((params["task"], params["epochs"], params["classes"]), ("classification", 8, 3))
        per_epoch = metrics_by_step(events)
        self.assertEqual(sorted(per_epoch), list(range(1, 9)))
        for values in per_epoch.values():
            self.assertEqual(set(values), {"train_loss", "val_loss", "val_accuracy"})
        self.assertGreater(per_epoch[8]["val_accuracy"], 0.8)
        self.assertLess(per_epoch[8]["train_loss"], per_epoch[1]["train_loss"])
        progress = [(e["current"], e["total"]) for e in events if e["type"] == "progress"]
        self.assertEqual(progress, [(i, 8) for i in range(1, 9)])

        onnx_path = self.check_artifact(events, "model.onnx", "model")
        pt_path = self.check_artifact(events, "model.pt", "model")
        prep_path = self.check_artifact(events, "preprocessing.json", "file")
        for p in (onnx_path, pt_path, prep_path):
            self.assertEqual(os.path.dirname(p), out)
        with open(prep_path) as f:
            prep = json.load(f)
        self.assertEqual(prep["classes"], ["setosa", "versicolor", "virginica"])
        self.assertEqual(prep["inputs"][:2], ["x1", "x2"])
        # The state dict loads into the template's own module and predicts the classes.
        check = run_python(
            textwrap.dedent(
                """
                import importlib.util, json, torch
                spec = importlib.util.spec_from_file_location("train", %r)
                train = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(train)
                prep = json.load(open(%r))
                n = len(prep["inputs"]); k = len(prep["numeric_features"])
                model = train.MLP(k, n, prep["hidden"], len(prep["classes"]), [0.0] * k, [1.0] * k)
                model.load_state_dict(torch.load(%r))
                model.eval()
                x = torch.zeros(2, n)
                x[0, 0] = 3.0                       # x1 high: setosa
                x[1, 0] = -3.0; x[1, 1] = 3.0       # x1 low, x2 high: virginica
                x[:, prep["inputs"].index("colour=green")] = 1.0
                print(json.dumps([prep["classes"][i] for i in model(x).argmax(1).tolist()]))
                """
            )
            % (os.path.join(TEMPLATES_DIR, "pytorch-mlp", "train.py"), prep_path, pt_path),
            fd3=False,
        )
        self.assertEqual(check.rc, 0, check.describe())
        self.assertEqual(json.loads(check.stdout), ["setosa", "virginica"])
        if HAVE_ONNX:
            check = run_python(
                """
                import onnx
                m = onnx.load(%r)
                onnx.checker.check_model(m)
                print(m.graph.input[0].name, m.graph.output[0].name)
                """
                % onnx_path,
                fd3=False,
            )
            self.assertEqual(check.rc, 0, check.describe())
            self.assertEqual(check.stdout.split(), [b"features", b"logits"])

    @unittest.skipUnless(HAVE_TORCH, NO_TORCH)
    def test_regression(self):
        d = tempdir(self)
        data = os.path.join(d, "data.csv")
        write_regression_csv(data, rows=600)
        r, _ = run_template(self, "pytorch-mlp", data, {"target": "price", "epochs": 15, "seed": 3})
        self.assertEqual(r.rc, 0, r.describe())
        per_epoch = metrics_by_step(r.events)
        self.assertEqual(sorted(per_epoch), list(range(1, 16)))
        for values in per_epoch.values():
            self.assertEqual(set(values), {"train_loss", "val_loss", "val_rmse"})
        self.assertLess(per_epoch[15]["val_rmse"], 2.0)  # target spans ~35 units
        self.check_artifact(r.events, "model.onnx", "model")

    @unittest.skipUnless(HAVE_TORCH, NO_TORCH)
    def test_usage_errors(self):
        d = tempdir(self)
        data = os.path.join(d, "data.csv")
        write_regression_csv(data, rows=30)
        r, _ = run_template(self, "pytorch-mlp", data, {})
        self.check_usage_error(r, "target is required", "a, b, city, price")
        r, _ = run_template(self, "pytorch-mlp", data, {"target": "price", "lr": "fast"})
        self.check_usage_error(r, "param lr")
        # A width that could never be allocated is a usage error, not torch's traceback.
        r, _ = run_template(self, "pytorch-mlp", data, {"target": "price", "hidden": 10**12})
        self.check_usage_error(r, "param hidden must be at most 4096")
        r, _ = run_template(self, "pytorch-mlp", data, {"target": "price", "epochs": 1e300})
        self.check_usage_error(r, "param epochs must be at most 100000")


if __name__ == "__main__":
    unittest.main()
