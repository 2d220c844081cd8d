"""Run the Python client and template tests.

    python3 python/tests/run.py [unittest name patterns...]

Prints unittest's usual output (verbosity 2). When WB_TEST_SUMMARY names a file, writes
{"passed": N, "failed": N, "skipped": N} there (errors count as failed). Exit code 0 only
when nothing failed or errored.
"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    sys.path.insert(0, HERE)  # tests import their helpers as a top-level module
    loader = unittest.TestLoader()
    if argv:
        loader.testNamePatterns = ["*%s*" % a if "*" not in a else a for a in argv]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2).run(suite)

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped - len(result.expectedFailures)
    # The plain closing line CI tools read: "N passed, N failed, N skipped".
    print("python %s (%s)" % (sys.version.split()[0], sys.executable))
    print("python: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
    summary = os.environ.get("WB_TEST_SUMMARY")
    if summary:
        with open(summary, "w") as f:
            json.dump({"passed": passed, "failed": failed, "skipped": skipped}, f)
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
