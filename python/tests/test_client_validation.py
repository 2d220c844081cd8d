"""Bad input raises TypeError/ValueError (or FileNotFoundError) with a useful message, and
nothing is sent for it: the channel must only ever carry valid events."""

import json
import tempfile
import unittest

from helpers import run_python

# Each case: (label, python expression). The child evaluates every one, records what it
# raised, and finally logs one good metric so the test can check nothing else was sent.
CASES = [
    ("step_str", 'wb.log_metric("loss", 1.0, step="3")'),
    ("step_float", 'wb.log_metric("loss", 1.0, step=1.5)'),
    ("step_negative", 'wb.log_metric("loss", 1.0, step=-1)'),
    ("step_bool", 'wb.log_metric("loss", 1.0, step=True)'),
    ("value_bool", 'wb.log_metric("loss", True)'),
    ("value_str", 'wb.log_metric("loss", "0.5")'),
    ("value_none", 'wb.log_metric("loss", None)'),
    ("value_complex", 'wb.log_metric("loss", 1j)'),
    ("key_empty", 'wb.log_metric("", 1.0)'),
    ("key_int", "wb.log_metric(5, 1.0)"),
    ("key_list", "wb.log_metric(['a'], 1.0)"),
    ("key_long", 'wb.log_metric("k" * 257, 1.0)'),
    ("key_newline", 'wb.log_metric("a\\nb", 1.0)'),
    ("metrics_not_dict", 'wb.log_metrics([("a", 1.0)])'),
    ("metrics_bad_value", 'wb.log_metrics({"a": 1.0, "b": "x"})'),
    ("metrics_bad_step", 'wb.log_metrics({"a": 1.0}, step=-2)'),
    ("param_empty_key", 'wb.log_param("", 1)'),
    ("params_not_dict", "wb.log_params(3)"),
    ("tag_bad_key", "wb.set_tag(None, 'x')"),
    ("progress_str", 'wb.progress("3", 10)'),
    ("progress_nan", 'wb.progress(float("nan"))'),
    ("log_level", 'wb.log("x", level="LOUD")'),
    ("artifact_dotdot", 'wb.log_artifact("f.txt", name="../x")'),
    ("artifact_dotdot_inner", 'wb.log_artifact("f.txt", name="a/../../x")'),
    ("artifact_abs", 'wb.log_artifact("f.txt", name="/abs")'),
    ("artifact_missing", 'wb.log_artifact("does-not-exist.bin")'),
    ("artifact_dir", 'wb.log_artifact(".")'),
    ("status_bad", 'wb.finish("done")'),
    ("param_too_big", 'wb.log_param("big", "x" * 2_000_000)'),
    ("step_huge", 'wb.log_metric("loss", 1.0, step=2**53)'),
    # 129 astral characters: 258 UTF-16 code units, which is how the supervisor counts.
    ("key_astral", 'wb.log_metric("\\U0001F600" * 129, 1.0)'),
    ("tag_too_long", 'wb.set_tag("t", "v" * 5000)'),
    ("progress_negative_total", "wb.progress(1, -5)"),
]

CHILD = """
import json, workbench as wb
open("f.txt", "w").write("content")
out = {}
for label, expr in %s:
    try:
        eval(expr)
        out[label] = None
    except Exception as exc:
        out[label] = [type(exc).__name__, str(exc)]
wb.log_metric("sentinel", 1.0, step=0)
print(json.dumps(out))
"""


class ValidationTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._dir = tempfile.TemporaryDirectory(prefix="wb-test-")
        cls.result = run_python(CHILD % (CASES,), cwd=cls._dir.name)
        cls.raised = json.loads(cls.result.stdout) if cls.result.rc == 0 else {}

    @classmethod
    def tearDownClass(cls):
        cls._dir.cleanup()

    def check(self, label, exc_type, *words):
        self.assertEqual(self.result.rc, 0, self.result.describe())
        got = self.raised[label]
        self.assertIsNotNone(got, "%s did not raise" % label)
        self.assertEqual(got[0], exc_type, got)
        for word in words:
            self.assertIn(word, got[1])

    def test_nothing_sent_for_bad_input(self):
        self.assertEqual(self.result.rc, 0, self.result.describe())
        self.assertEqual([e["key"] for e in self.result.events], ["sentinel"])
        self.assertEqual(self.result.stderr, b"")

    def test_step_non_numeric(self):
        self.check("step_str", "TypeError", "step must be an int >= 0", "int(step)")
        self.check("step_float", "TypeError", "step must be an int", "1.5")

    def test_step_negative(self):
        self.check("step_negative", "ValueError", "step must be >= 0", "-1")
        self.check("metrics_bad_step", "ValueError", "step must be >= 0")

    def test_step_bool(self):
        self.check("step_bool", "TypeError", "step", "bool")

    def test_value_bool(self):
        self.check("value_bool", "TypeError", "'loss'", "number", "bool")

    def test_value_str_and_none(self):
        self.check("value_str", "TypeError", "'loss'", "number", "float(value)")
        self.check("value_none", "TypeError", "number")
        self.check("value_complex", "TypeError", "number")

    def test_keys(self):
        self.check("key_empty", "ValueError", "non-empty")
        self.check("key_int", "TypeError", "metric key must be a non-empty str", "int")
        self.check("key_list", "TypeError", "metric key", "list")
        self.check("key_long", "ValueError", "at most 256", "257")
        self.check("key_newline", "ValueError", "control characters")
        self.check("param_empty_key", "ValueError", "param key")
        self.check("tag_bad_key", "TypeError", "tag key")

    def test_dict_functions(self):
        self.check("metrics_not_dict", "TypeError", "dict")
        self.check("metrics_bad_value", "TypeError", "'b'")
        self.check("params_not_dict", "TypeError", "dict")

    def test_progress_and_log(self):
        self.check("progress_str", "TypeError", "progress current must be a number")
        self.check("progress_nan", "ValueError", "finite")
        self.check("log_level", "ValueError", "DEBUG, INFO, WARN")
        self.check("status_bad", "ValueError", "'succeeded' or 'failed'")

    def test_artifact_names(self):
        self.check("artifact_dotdot", "ValueError", "'..'", "../x")
        self.check("artifact_dotdot_inner", "ValueError", "'..'")
        self.check("artifact_abs", "ValueError", "relative", "/abs")

    def test_artifact_missing_file(self):
        self.check("artifact_missing", "FileNotFoundError", "artifact file not found", "does-not-exist.bin")
        self.check("artifact_dir", "IsADirectoryError", "takes a file")

    def test_supervisor_limits(self):
        # What the supervisor would reject is refused here, where the caller can fix it.
        self.check("step_huge", "ValueError", "2**53")
        self.check("key_astral", "ValueError", "at most 256", "258")
        self.check("tag_too_long", "ValueError", "at most 4096")
        self.check("progress_negative_total", "ValueError", "total must be >= 0")

    def test_too_large_event(self):
        self.check("param_too_big", "ValueError", "too large", "log_artifact")


if __name__ == "__main__":
    unittest.main()
