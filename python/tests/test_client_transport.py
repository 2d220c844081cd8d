"""The delivery guarantees: never block training, never lose an event, never corrupt a line.

Real pipes, real processes: the supervisor going away, a supervisor that stops reading,
forked children writing into the same channel, and the flush at interpreter exit.
"""

import json
import os
import sys
import textwrap
import unittest

from helpers import Child, read_all, read_jsonl, run_python, tempdir


def valid_lines(raw):
    """Parse channel bytes; a line cut by a hard stop (no newline at the end) is dropped,
    every other line must be whole, valid JSON."""
    text = raw.decode("utf-8")
    lines = text.split("\n")
    tail = lines.pop()  # "" when the data ends with a newline
    events = [json.loads(line) for line in lines]
    return events, tail


class SupervisorGoneTest(unittest.TestCase):
    def test_closed_channel_spools_and_exits_fast(self):
        d = tempdir(self)
        out = os.path.join(d, "out")
        code = textwrap.dedent(
            """
            import sys, time, workbench as wb
            for i in range(100):
                wb.log_metric("m", i, step=i)
            assert wb.flush(5)
            print("ready", flush=True)
            sys.stdin.readline()          # the test closes the channel, then says go
            t0 = time.perf_counter()
            for i in range(100, 20000):
                wb.log_metric("m", i, step=i)
            wb.log("after the supervisor left")
            print("loop %.3f" % (time.perf_counter() - t0), flush=True)
            """
        )
        child = Child([sys.executable, "-c", code], env={"WB_OUTPUT_DIR": out}, stdin=True)
        received = b""
        while received.count(b"\n") < 100:
            chunk = os.read(child.read_fd, 65536)
            self.assertTrue(chunk, "channel closed early")
            received += chunk
        child.close_channel()  # the supervisor is gone
        child.proc.stdin.write(b"go\n")
        child.proc.stdin.close()
        result = child.wait(timeout=30)
        self.assertEqual(result.rc, 0, result.describe())
        self.assertLess(result.elapsed, 10, "exit took too long")
        events, tail = valid_lines(received)
        self.assertEqual(tail, "")
        self.assertEqual([e["step"] for e in events], list(range(100)))
        spooled = read_jsonl(os.path.join(out, "events-spool.jsonl"))
        steps = [e["step"] for e in spooled if e["type"] == "metric"]
        self.assertEqual(steps, list(range(100, 20000)))  # nothing lost, in order
        self.assertEqual(spooled[-1]["message"], "after the supervisor left")
        self.assertIn(b"event channel closed", result.stderr)

    def test_invalid_fd_spools(self):
        d = tempdir(self)
        r = run_python(
            """
            import workbench as wb
            wb.log_metric("m", 1.0, step=0)
            """,
            env={"WB_EVENT_FD": "57", "WB_OUTPUT_DIR": d},
            fd3=False,
        )
        self.assertEqual(r.rc, 0, r.describe())
        self.assertIn(b"WB_EVENT_FD", r.stderr)
        spooled = read_jsonl(os.path.join(d, "events-spool.jsonl"))
        self.assertEqual([e["step"] for e in spooled], [0])


class FullQueueTest(unittest.TestCase):
    def test_reader_that_never_reads(self):
        d = tempdir(self)
        n = 200_000
        code = textwrap.dedent(
            """
            import time, workbench as wb
            worst = 0.0
            t0 = time.perf_counter()
            for i in range(%d):
                t = time.perf_counter()
                wb.log_metric("m", i, step=i)
                worst = max(worst, time.perf_counter() - t)
            print("loop %%.3f worst %%.4f" %% (time.perf_counter() - t0, worst), flush=True)
            """
            % n
        )
        child = Child(
            [sys.executable, "-c", code],
            env={"WB_OUTPUT_DIR": d, "WB_QUEUE_CAPACITY": "1000", "WB_FLUSH_TIMEOUT": "1"},
        )
        # Hold the channel open without reading until the child has exited.
        result = child.wait(timeout=60, close_channel=False)
        self.addCleanup(child.close_channel)
        self.assertEqual(result.rc, 0, result.describe())
        loop, worst = (float(x) for x in result.stdout.split()[1::2])
        # The training loop never waits long: one call at most ~5 ms (plus scheduling).
        self.assertLess(worst, 0.25, result.stdout)
        self.assertLess(loop, 20, result.stdout)
        # Exit: a flush timeout of 1 s, then the rest is spooled.
        self.assertLess(result.elapsed, 1 + 8, "exit took %.1fs" % result.elapsed)
        self.assertIn(b"event queue full", result.stderr)
        # What reached the pipe plus what was spooled is every event, each once.
        raw = read_all(child.read_fd)  # the child is gone: reads to EOF
        piped, _cut = valid_lines(raw)
        spooled = read_jsonl(os.path.join(d, "events-spool.jsonl"))
        piped_steps = [e["step"] for e in piped]
        spooled_steps = [e["step"] for e in spooled]
        self.assertGreater(len(piped_steps), 100)  # the pipe was filled
        self.assertEqual(piped_steps, sorted(piped_steps))
        self.assertEqual(set(piped_steps) & set(spooled_steps), set())
        self.assertEqual(sorted(piped_steps + spooled_steps), list(range(n)))


class ExitFlushTest(unittest.TestCase):
    def test_everything_delivered_at_exit(self):
        # No finish(): the atexit hook flushes. A slow reader keeps the pipe full.
        r = run_python(
            """
            import workbench as wb
            for i in range(100000):
                wb.log_metric("m", i, step=i)
            wb.log("last")
            """,
            read_delay=0.001,
        )
        self.assertEqual(r.rc, 0, r.describe())
        events = r.events
        self.assertEqual([e["step"] for e in events[:-1]], list(range(100000)))
        self.assertEqual(events[-1]["message"], "last")

    def test_exit_after_exception(self):
        r = run_python(
            """
            import workbench as wb
            wb.log_metric("m", 1.0, step=0)
            raise SystemExit(3)
            """
        )
        self.assertEqual(r.rc, 3)
        self.assertEqual([e["step"] for e in r.events], [0])

    def test_exit_flush_is_bounded(self):
        # A supervisor that never reads: the exit waits WB_FLUSH_TIMEOUT, no more.
        d = tempdir(self)
        child = Child(
            [sys.executable, "-c", "import workbench as wb\nfor i in range(100000): wb.log_metric('m', i, step=i)"],
            env={"WB_OUTPUT_DIR": d, "WB_FLUSH_TIMEOUT": "0.5"},
        )
        result = child.wait(timeout=60)
        self.assertEqual(result.rc, 0, result.describe())
        self.assertLess(result.elapsed, 0.5 + 8)
        self.assertIn(b"exit flush timed out", result.stderr)
        self.assertTrue(os.path.getsize(os.path.join(d, "events-spool.jsonl")) > 0)


class ForkTest(unittest.TestCase):
    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_forked_child_lines_never_interleave(self):
        # Parent and forked child both log at full speed while the reader is slow, so
        # the pipe is full and writes are partial: the worst case for interleaving.
        n = 30000
        r = run_python(
            """
            import os, workbench as wb
            wb.log_metric("before_fork", 1.0, step=0)
            pid = os.fork()
            who = "child" if pid == 0 else "parent"
            for i in range(%d):
                wb.log_metric(who, i, step=i)
                if i %% 5000 == 0:
                    wb.log("%%s at %%d %%s" %% (who, i, "x" * 300))
            if pid == 0:
                wb.finish()
                os._exit(0)
            _, status = os.waitpid(pid, 0)
            assert status == 0, status
            """
            % n,
            read_chunk=4096,  # a slow reader: the pipe stays full, writes are partial
            read_delay=0.0002,
        )
        self.assertEqual(r.rc, 0, r.describe())
        events = r.events  # every line must parse: no line is cut or mixed
        by_key = {}
        for e in events:
            if e["type"] == "metric":
                by_key.setdefault(e["key"], []).append(e["step"])
        self.assertEqual(by_key["before_fork"], [0])  # the child did not resend it
        self.assertEqual(by_key["parent"], list(range(n)))
        self.assertEqual(by_key["child"], list(range(n)))
        self.assertEqual(len([e for e in events if e["type"] == "log"]), 12)

    @unittest.skipUnless(hasattr(os, "fork"), "needs os.fork")
    def test_fork_before_first_event(self):
        # Importing starts no thread; the writer starts with the first event, in parent
        # and child alike.
        r = run_python(
            """
            import os, threading, workbench as wb
            assert threading.active_count() == 1, threading.enumerate()
            pid = os.fork()
            who = "child" if pid == 0 else "parent"
            for i in range(1000):
                wb.log_metric(who, i, step=i)
            if pid == 0:
                wb.flush()
                os._exit(0)
            os.waitpid(pid, 0)
            """
        )
        self.assertEqual(r.rc, 0, r.describe())
        counts = {}
        for e in r.events:
            counts[e["key"]] = counts.get(e["key"], 0) + 1
        self.assertEqual(counts, {"parent": 1000, "child": 1000})

    @unittest.skipUnless(sys.platform.startswith("linux"), "fork start method")
    def test_multiprocessing_worker_without_finish(self):
        # DataLoader-style worker: a multiprocessing child ends with os._exit (no
        # atexit); its events must still arrive.
        r = run_python(
            """
            import multiprocessing as mp, workbench as wb

            def work(k):
                for i in range(5000):
                    wb.log_metric("worker%d" % k, i, step=i)

            if __name__ == "__main__":
                ctx = mp.get_context("fork")
                wb.log_metric("main", 0.0, step=0)
                procs = [ctx.Process(target=work, args=(k,)) for k in range(2)]
                for p in procs: p.start()
                for p in procs: p.join()
                assert all(p.exitcode == 0 for p in procs)
            """
        )
        self.assertEqual(r.rc, 0, r.describe())
        counts = {}
        for e in r.events:
            counts[e["key"]] = counts.get(e["key"], 0) + 1
        self.assertEqual(counts, {"main": 1, "worker0": 5000, "worker1": 5000})


class WriterRobustnessTest(unittest.TestCase):
    def test_unformattable_event_is_dropped_alone(self):
        # An int too long for repr() (Python's int/str digit limit) cannot be written; it
        # must not take the events around it down with it.
        r = run_python(
            """
            import sys, workbench as wb
            wb.log_metric("m", 1, step=0)
            wb.log_metric("m", 10 ** 5000, step=1)
            wb.log_metric("m", 3, step=2)
            print(hasattr(sys, "get_int_max_str_digits"))
            """
        )
        self.assertEqual(r.rc, 0, r.describe())
        steps = [e["step"] for e in r.events]
        if r.stdout.strip() == b"True":
            self.assertEqual(steps, [0, 2])
            self.assertIn(b"dropped an event", r.stderr)
        else:
            self.assertEqual(steps, [0, 1, 2])


class ThroughputTest(unittest.TestCase):
    def test_million_calls_throughput(self):
        # Not a benchmark gate (machines differ): a sanity floor that catches a hot path
        # that became pathological. The figure is printed for the record.
        r = run_python(
            """
            import time, workbench as wb
            t0 = time.perf_counter()
            for i in range(1_000_000):
                wb.log_metric("loss", i * 0.001, step=i)
            t1 = time.perf_counter()
            assert wb.flush(60)
            t2 = time.perf_counter()
            print("%.0f %.0f" % (1e6 / (t1 - t0), 1e6 / (t2 - t0)))
            """
        )
        self.assertEqual(r.rc, 0, r.describe())
        calls, end_to_end = (float(x) for x in r.stdout.split())
        self.assertEqual(len(r.raw.splitlines()), 1_000_000)
        sys.stderr.write(
            "[throughput: %.0f calls/s, %.0f points/s through the pipe] "
            % (calls, end_to_end)
        )
        self.assertGreater(end_to_end, 100_000)


if __name__ == "__main__":
    unittest.main()
