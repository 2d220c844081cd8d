"""Every public function of the client, checked against the exact JSON lines it sends."""

import hashlib
import json
import os
import unittest

from helpers import read_jsonl, run_python, strip_ts, tempdir


class EventsTest(unittest.TestCase):
    def run_ok(self, code, **kw):
        result = run_python(code, **kw)
        self.assertEqual(result.rc, 0, result.describe())
        return result

    def test_params_and_tags(self):
        r = self.run_ok(
            """
            import pathlib, workbench as wb
            wb.log_param("lr", 0.01)
            wb.log_param("layers", [64, 32])
            wb.log_param("path", pathlib.PurePosixPath("/data/x.csv"))
            wb.log_param("nan", float("nan"))
            wb.log_params({"a": 1, "b": True, "c": None, "d": {"e": "f"}, "g": float("inf")})
            wb.set_tag("stage", "tuning")
            wb.set_tag("attempt", 2)
            """
        )
        self.assertEqual(
            [strip_ts(e) for e in r.events],
            [
                {"type": "param", "key": "lr", "value": 0.01},
                {"type": "param", "key": "layers", "value": [64, 32]},
                {"type": "param", "key": "path", "value": "/data/x.csv"},
                {"type": "param", "key": "nan", "value": "NaN"},
                {
                    "type": "params",
                    "values": {"a": 1, "b": True, "c": None, "d": {"e": "f"}, "g": "Infinity"},
                },
                {"type": "tag", "key": "stage", "value": "tuning"},
                {"type": "tag", "key": "attempt", "value": "2"},
            ],
        )

    def test_log_environment(self):
        r = self.run_ok(
            """
            import platform, workbench as wb
            import json
            wb.log_environment(["json-not-a-distribution"])
            wb.log_environment()
            """
        )
        events = [strip_ts(e) for e in r.events]
        import platform

        # The Python version always; a package only when its version can be found.
        self.assertEqual(events[0], {"type": "tag", "key": "env.python", "value": platform.python_version()})
        self.assertTrue(all(e["type"] == "tag" and e["key"].startswith("env.") for e in events))
        self.assertNotIn("env.pkg.json-not-a-distribution", [e["key"] for e in events])

    def test_metric_lines_exact(self):
        r = self.run_ok(
            """
            import workbench as wb
            wb.log_metric("loss", 0.5432, step=1)
            wb.log_metric("loss", 0.25)
            wb.log_metric("count", 7, step=0)
            wb.log_metric('we"ird\\\\key\\u00e9', 1.0, step=2)
            """
        )
        lines = r.lines
        self.assertEqual(len(lines), 4)
        prefixes = [
            '{"type":"metric","key":"loss","value":0.5432,"step":1,"ts":',
            '{"type":"metric","key":"loss","value":0.25,"ts":',
            '{"type":"metric","key":"count","value":7,"step":0,"ts":',
            '{"type":"metric","key":"we\\"ird\\\\key\\u00e9","value":1.0,"step":2,"ts":',
        ]
        for line, prefix in zip(lines, prefixes):
            self.assertTrue(line.startswith(prefix), line)
            self.assertTrue(line.endswith("}"), line)
            line.encode("ascii")  # always pure ASCII
        self.assertEqual(r.events[3]["key"], 'we"ird\\key\u00e9')

    def test_nan_and_infinity_are_strings(self):
        r = self.run_ok(
            """
            import math, workbench as wb
            wb.log_metric("v", float("nan"), step=0)
            wb.log_metric("v", math.inf, step=1)
            wb.log_metric("v", -math.inf, step=2)
            wb.log_metrics({"a": float("nan"), "b": math.inf, "c": -math.inf, "d": 1}, step=3)
            """
        )
        for line in r.lines:
            # Bare tokens would be invalid JSON for the supervisor (JSON.parse).
            self.assertNotIn(":NaN", line)
            self.assertNotIn(":Infinity", line)
            self.assertNotIn(":-Infinity", line)
            json.loads(line, parse_constant=lambda c: self.fail("bare %s in %s" % (c, line)))
        values = [e.get("value") for e in r.events[:3]]
        self.assertEqual(values, ["NaN", "Infinity", "-Infinity"])
        self.assertEqual(r.events[3]["values"], {"a": "NaN", "b": "Infinity", "c": "-Infinity", "d": 1})

    def test_number_like_values_and_steps(self):
        # Stand-ins for numpy/torch scalars: objects with __float__ / __index__.
        r = self.run_ok(
            """
            import decimal, fractions, workbench as wb
            class F:
                def __float__(self): return 0.75
            class I:
                def __index__(self): return 4
            wb.log_metric("a", F(), step=I())
            wb.log_metric("b", I())
            wb.log_metric("c", decimal.Decimal("1.5"))
            wb.log_metric("d", fractions.Fraction(1, 4))
            try:
                import numpy as np
            except ImportError:
                print("no numpy")
            else:
                wb.log_metric("np", np.float32(0.5), step=np.int64(9))
                wb.log_metric("np", np.int32(3), step=np.uint8(10))
                wb.log_metric("np", np.float64("nan"), step=11)
            """
        )
        events = [strip_ts(e) for e in r.events]
        self.assertEqual(
            events[:4],
            [
                {"type": "metric", "key": "a", "value": 0.75, "step": 4},
                {"type": "metric", "key": "b", "value": 4},
                {"type": "metric", "key": "c", "value": 1.5},
                {"type": "metric", "key": "d", "value": 0.25},
            ],
        )
        if b"no numpy" not in r.stdout:
            self.assertEqual(
                events[4:],
                [
                    {"type": "metric", "key": "np", "value": 0.5, "step": 9},
                    {"type": "metric", "key": "np", "value": 3, "step": 10},
                    {"type": "metric", "key": "np", "value": "NaN", "step": 11},
                ],
            )

    def test_log_metrics_is_one_event(self):
        r = self.run_ok(
            """
            import workbench as wb
            wb.log_metrics({"loss": 0.5, "acc": 0.91}, step=1)
            wb.log_metrics({"loss": 0.4})
            wb.log_metrics({})
            """
        )
        self.assertEqual(
            [strip_ts(e) for e in r.events],
            [
                {"type": "metrics", "values": {"loss": 0.5, "acc": 0.91}, "step": 1},
                {"type": "metrics", "values": {"loss": 0.4}},
            ],
        )

    def test_progress_and_log(self):
        r = self.run_ok(
            """
            import workbench as wb
            wb.progress(10, 100)
            wb.progress(3)
            wb.progress(0.5, 1.0)
            wb.log("Starting epoch 1")
            wb.log("careful", level="warning")
            wb.log(RuntimeError("boom"), "ERROR")
            wb.log("debug", "debug")
            wb.log("x" * 100000)
            """
        )
        events = [strip_ts(e) for e in r.events]
        self.assertEqual(
            events[:7],
            [
                {"type": "progress", "current": 10, "total": 100},
                {"type": "progress", "current": 3},
                {"type": "progress", "current": 0.5, "total": 1.0},
                {"type": "log", "level": "INFO", "message": "Starting epoch 1"},
                {"type": "log", "level": "WARN", "message": "careful"},
                {"type": "log", "level": "ERROR", "message": "boom"},
                {"type": "log", "level": "DEBUG", "message": "debug"},
            ],
        )
        long = events[7]["message"]
        self.assertTrue(long.startswith("x" * 65536), long[:10])
        self.assertIn("characters cut", long)

    def test_artifact(self):
        d = tempdir(self)
        with open(os.path.join(d, "model.bin"), "wb") as f:
            f.write(os.urandom(3 * 1024 * 1024 + 17))  # several 1 MiB chunks
        with open(os.path.join(d, "model.bin"), "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()
        r = self.run_ok(
            """
            import workbench as wb
            print(wb.log_artifact("model.bin", kind="model"))
            wb.log_artifact("model.bin", name="models/best.bin")
            """,
            cwd=d,
        )
        self.assertEqual(r.stdout.decode().strip(), want)
        path = os.path.join(os.path.realpath(d), "model.bin")
        events = [strip_ts(e) for e in r.events]
        for e in events:
            e["path"] = os.path.realpath(e["path"])
        self.assertEqual(
            events,
            [
                {"type": "artifact", "kind": "model", "path": path, "name": "model.bin", "sha256": want},
                {"type": "artifact", "kind": "file", "path": path, "name": "models/best.bin", "sha256": want},
            ],
        )

    def test_finish(self):
        r = self.run_ok(
            """
            import workbench as wb
            wb.log_metric("loss", 1.0, step=0)
            print(wb.finish("failed", "diverged"))
            wb.log_metric("loss", 2.0, step=1)  # logging goes on after finish
            print(wb.finish())
            print(wb.finish("succeeded"))
            print(wb.flush(1))
            """
        )
        self.assertEqual(r.stdout.decode().split(), ["True", "True", "True", "True"])
        self.assertEqual(
            [strip_ts(e) for e in r.events],
            [
                {"type": "metric", "key": "loss", "value": 1.0, "step": 0},
                {"type": "status", "state": "failed", "message": "diverged"},
                {"type": "metric", "key": "loss", "value": 2.0, "step": 1},
                {"type": "status", "state": "succeeded"},
            ],
        )

    def test_finish_waits_for_delivery(self):
        # After finish() returns True every event is on the channel: the child then
        # dies hard (os._exit skips atexit) and nothing may be missing.
        r = self.run_ok(
            """
            import os, workbench as wb
            for i in range(20000):
                wb.log_metric("m", i, step=i)
            assert wb.finish("succeeded")
            os._exit(0)
            """
        )
        steps = [e["step"] for e in r.events if e["type"] == "metric"]
        self.assertEqual(steps, list(range(20000)))

    def test_helpers_inside_run(self):
        d = tempdir(self)
        data = os.path.join(d, "iris")
        os.makedirs(data)
        out = os.path.join(d, "out")
        r = self.run_ok(
            """
            import json, os, workbench as wb
            try:
                wb.dataset_path("nope")
            except KeyError as exc:
                missing = str(exc)
            print(json.dumps({
                "run_id": wb.run_id(), "params": wb.params(), "in_run": wb.in_run(),
                "first": wb.dataset_path(), "named": wb.dataset_path("iris"),
                "by_var": wb.dataset_path("my-data"), "missing": missing,
                "output_dir": wb.output_dir(), "exists": os.path.isdir(wb.output_dir()),
            }))
            """,
            env={
                "WB_RUN_ID": "run-42",
                "WB_PARAMS": '{"lr": 0.1, "name": "x", "flag": true}',
                "WB_DATASET": data,
                "WB_DATASETS": json.dumps({"iris": data, "other": "/tmp/other"}),
                "WB_DATASET_MY_DATA": "/tmp/my-data",
                "WB_OUTPUT_DIR": out,
            },
        )
        got = json.loads(r.stdout)
        self.assertEqual(got["run_id"], "run-42")
        self.assertEqual(got["params"], {"lr": 0.1, "name": "x", "flag": True})
        self.assertTrue(got["in_run"])
        self.assertEqual(got["first"], data)
        self.assertEqual(got["named"], data)
        self.assertEqual(got["by_var"], "/tmp/my-data")
        self.assertIn("'nope'", got["missing"])
        self.assertIn("iris, other", got["missing"])  # lists what is available
        self.assertEqual(got["output_dir"], out)
        self.assertTrue(got["exists"])

    def test_helpers_outside_run(self):
        d = tempdir(self)
        r = run_python(
            """
            import json, os, workbench as wb
            try:
                wb.dataset_path()
            except KeyError as exc:
                missing = str(exc)
            print(json.dumps({
                "run_id": wb.run_id(), "params": wb.params(), "in_run": wb.in_run(),
                "output_dir": os.path.realpath(wb.output_dir()), "missing": missing,
            }))
            """,
            fd3=False,
            cwd=d,
        )
        self.assertEqual(r.rc, 0, r.describe())
        got = json.loads(r.stdout)
        self.assertEqual(
            got,
            {
                "run_id": None,
                "params": {},
                "in_run": False,
                "output_dir": os.path.realpath(d),
                "missing": got["missing"],
            },
        )
        self.assertIn("no dataset", got["missing"])
        self.assertFalse(os.path.exists(os.path.join(d, "wb-offline")))  # no event, no file
        self.assertEqual(r.stderr, b"")

    def test_order_and_socketpair_channel(self):
        # Node's child_process hands the child a socketpair, not a pipe.
        r = self.run_ok(
            """
            import workbench as wb
            for i in range(50000):
                wb.log_metric("m", i * 0.5, step=i)
                if i % 10000 == 0:
                    wb.log("at %d" % i)
            """,
            channel="socket",
        )
        metric_steps = [e["step"] for e in r.events if e["type"] == "metric"]
        self.assertEqual(metric_steps, list(range(50000)))
        self.assertEqual(len(r.of_type("log")), 5)

    def test_offline_file_mode(self):
        d = tempdir(self)
        r = run_python(
            """
            import workbench as wb
            wb.log_param("lr", 0.1)
            for i in range(1000):
                wb.log_metric("loss", 1.0 / (i + 1), step=i)
            wb.log("done")
            """,
            fd3=False,
            cwd=d,
        )
        self.assertEqual(r.rc, 0, r.describe())
        files = os.listdir(os.path.join(d, "wb-offline"))
        self.assertEqual(len(files), 1, files)
        self.assertRegex(files[0], r"^\d{8}-\d{6}-\d+\.jsonl$")
        path = os.path.join(d, "wb-offline", files[0])
        stderr_lines = r.stderr.decode().splitlines()
        self.assertEqual(len(stderr_lines), 1, r.stderr)  # said once
        self.assertIn(files[0], stderr_lines[0])
        events = read_jsonl(path)
        self.assertEqual(len(events), 1002)
        self.assertEqual(strip_ts(events[0]), {"type": "param", "key": "lr", "value": 0.1})
        self.assertEqual([e["step"] for e in events[1:-1]], list(range(1000)))
        self.assertEqual(strip_ts(events[-1]), {"type": "log", "level": "INFO", "message": "done"})


if __name__ == "__main__":
    unittest.main()
