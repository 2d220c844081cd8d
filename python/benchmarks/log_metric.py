"""Throughput of wb.log_metric, from the training loop to the event channel.

    python3 python/benchmarks/log_metric.py [--points 1000000]

Runs a child Python that calls ``wb.log_metric`` N times and then ``wb.flush()``, with
its event fd on /dev/null, then on a pipe drained by ``cat > /dev/null``. Prints one
JSON object (like the Node benches in bench/): for each sink, the rate of the calls
alone and end to end (calls + flush: every point formatted and written to the fd).
What the supervisor then does with the lines is measured on the Node side.
"""

import argparse
import json
import os
import subprocess
import sys
import time

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CHILD = """
import json, sys, time
import workbench as wb
n = int(sys.argv[1])
log_metric = wb.log_metric
t0 = time.perf_counter()
for i in range(n):
    log_metric("loss", i * 0.001, step=i)
t1 = time.perf_counter()
assert wb.flush(120), "flush timed out"
t2 = time.perf_counter()
print(json.dumps({"calls_s": t1 - t0, "total_s": t2 - t0}))
"""


def run(points, sink):
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR)
    for var in ("WB_OUTPUT_DIR", "WB_QUEUE_CAPACITY", "WB_FLUSH_TIMEOUT"):
        env.pop(var, None)
    cat = None
    if sink == "devnull":
        fd = os.open(os.devnull, os.O_WRONLY)
    else:
        r, fd = os.pipe()
        cat = subprocess.Popen(["cat"], stdin=r, stdout=subprocess.DEVNULL)
        os.close(r)
    env["WB_EVENT_FD"] = str(fd)  # the supervisor uses 3; any number works the same
    try:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(points)],
            env=env, pass_fds=(fd,), stdout=subprocess.PIPE, check=True,
        ).stdout
    finally:
        os.close(fd)
        if cat is not None:
            cat.wait()
    t = json.loads(out)
    return {
        "callsPerSecond": round(points / t["calls_s"]),
        "pointsPerSecond": round(points / t["total_s"]),
        "seconds": round(t["total_s"], 3),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.time()
    figures = {sink: run(args.points, sink) for sink in ("devnull", "pipe")}
    print(
        json.dumps(
            {
                "bench": "python-log-metric",
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
                "points": args.points,
                **figures,
                "budgetPointsPerSecond": 300_000,
                "wallSeconds": round(time.time() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
