#!/usr/bin/env python3
"""Inference server of an exported Workbench bundle holding a pickled scikit-learn model.

    pip install -r requirements.txt   # the scikit-learn and numpy versions it was trained with
    python3 server.py [--port 8080] [--host 127.0.0.1]

GET /health, GET /v1/models, POST /predict (or /v1/models/<name>/predict) with
{"rows": [{"<column>": value, ...}]}: the same routes, checks and answers as `wb serve-model`.
Standard library plus the model's own packages. Unpickling runs the pickle's code: serve only
bundles you trust (`wb export verify` checks they are unchanged).
"""

import json
import math
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pickle_worker import load, predict_rows  # noqa: E402

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_ROWS = 100_000


class RequestError(Exception):
    def __init__(self, status, code, message, hint=None):
        super().__init__(message)
        self.status, self.code, self.hint = status, code, hint


def bad(message, hint=None):
    return RequestError(400, "INVALID_INPUT", message, hint)


def describe(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean %s" % ("true" if v else "false")
    if isinstance(v, str):
        return "the string %s" % json.dumps(v if len(v) <= 40 else v[:40] + "…")
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return "number %s" % v


def build_table(signature, body):
    """The same checks as predictor.mjs's buildTable: columns, per-column types, null = missing."""
    if not isinstance(body, dict):
        raise bad("the request body must be a JSON object", 'send {"rows": [{…}, …]}')
    extra = [k for k in body if k != "rows"]
    if extra:
        raise bad("unknown field(s) in the request: %s" % ", ".join(extra), 'this model takes {"rows": [{"<column>": value, …}]}')
    spec = signature["inputs"][0]
    cols = spec.get("columns")
    if not cols:
        raise bad("this model has no column list in its signature")
    types = spec.get("columnTypes") or ["number"] * len(cols)
    rows = body.get("rows")
    if not isinstance(rows, list) or not rows:
        raise bad('"rows" must be a non-empty array')
    if len(rows) > MAX_ROWS:
        raise RequestError(413, "PAYLOAD_TOO_LARGE", "%d rows in one request; at most %d" % (len(rows), MAX_ROWS), "split the rows into several requests")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise bad("row %d must be an object of columns, got %s" % (i, describe(row)))
        values = []
        for j, c in enumerate(cols):
            if c not in row:
                raise bad("row %d lacks column '%s'" % (i, c), "the model takes: %s" % ", ".join(cols[:50]))
            v = row[c]
            where = "row %d, column '%s'" % (i, c)
            if v is not None and types[j] == "number" and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                raise bad("%s must be a finite number (or null for missing), got %s" % (where, describe(v)))
            if v is not None and types[j] == "string" and not isinstance(v, str):
                raise bad("%s must be a string (or null for missing), got %s" % (where, describe(v)))
            values.append(v)
        if len(row) != len(cols):
            unknown = [k for k in row if k not in cols]
            raise bad("row %d has unknown column(s): %s" % (i, ", ".join(unknown[:10])), "the model takes: %s" % ", ".join(cols[:50]))
        out.append(values)
    return cols, out


def _reject_constant(name):
    raise ValueError("%s is not JSON (send null for a missing value)" % name)


class State:
    manifest = None
    model = None
    error = None


def make_handler(state):
    m = state.manifest["model"]

    class Handler(BaseHTTPRequestHandler):
        server_version = "workbench-bundle"

        def log_message(self, fmt, *args):  # quiet: one line per request is noise here
            pass

        def send(self, status, body):
            data = json.dumps(body, allow_nan=False).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(data)))
            if status == 413:
                self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(data)

        def health(self):
            ready = state.model is not None
            return {"status": "ok" if ready else "degraded", "models": [{"name": m["name"], "version": m["version"], "ready": ready, "error": state.error}]}

        def do_GET(self):
            path = self.path.split("?")[0]
            if path == "/health":
                return self.send(200, self.health())
            if path == "/v1/models":
                h = self.health()["models"][0]
                return self.send(200, {"models": [dict(h, format=m["format"], signature=state.manifest.get("signature"))]})
            self.send(404, {"error": {"code": "NOT_FOUND", "message": "no route GET %s" % path, "hint": "GET /health, GET /v1/models, POST /predict"}})

        def do_POST(self):
            try:
                path = self.path.split("?")[0]
                name = None
                if path.startswith("/v1/models/") and path.endswith("/predict"):
                    name = path[len("/v1/models/"):-len("/predict")]
                elif path != "/predict":
                    raise RequestError(404, "NOT_FOUND", "no route POST %s" % path, "GET /health, GET /v1/models, POST /predict")
                if name is not None and name != m["name"]:
                    raise RequestError(404, "NOT_FOUND", "no model '%s' on this server" % name, "models: %s" % m["name"])
                if "application/json" not in (self.headers.get("content-type") or ""):
                    raise RequestError(415, "INVALID_INPUT", "send the request as application/json")
                length = int(self.headers.get("content-length") or 0)
                if length > MAX_BODY_BYTES:
                    raise RequestError(413, "PAYLOAD_TOO_LARGE", "request body of %d bytes; at most %d" % (length, MAX_BODY_BYTES), "split the rows into several requests")
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
                except ValueError as exc:
                    raise RequestError(400, "INVALID_INPUT", "the request body is not valid JSON (%s)" % exc, "JSON has no NaN or Infinity: send null for a missing value")
                if state.model is None:
                    raise RequestError(503, "UNAVAILABLE", "model '%s' failed to load: %s" % (m["name"], state.error), "see GET /health")
                cols, rows = build_table(state.manifest["signature"], body)
                model, encoder, features = state.model
                try:
                    r = predict_rows(model, encoder, features, cols, rows)
                except Exception as exc:
                    raise RequestError(422, "INVALID_INPUT", "the model could not predict on this input: %s: %s" % (type(exc).__name__, str(exc)[:500]))
                out = {"model": m["name"], "version": m["version"], "rows": len(rows), "predictions": r["predictions"], "outputs": {"probabilities": r["probabilities"]} if "probabilities" in r else {}}
                self.send(200, out)
            except RequestError as e:
                err = {"code": e.code, "message": str(e)}
                if e.hint:
                    err["hint"] = e.hint
                self.send(e.status, {"error": err})

    return Handler


def main():
    def arg(name, default):
        if "--" + name in sys.argv:
            i = sys.argv.index("--" + name)
            if i + 1 < len(sys.argv):
                return sys.argv[i + 1]
        return default

    state = State()
    with open(os.path.join(HERE, "manifest.json"), encoding="utf-8") as f:
        state.manifest = json.load(f)
    try:
        state.model = load(os.path.join(HERE, state.manifest["model"]["file"]))
    except Exception as exc:  # keep serving /health with the reason
        state.error = "%s: %s" % (type(exc).__name__, exc)
        sys.stderr.write("model %s failed to load: %s\n" % (state.manifest["model"]["name"], state.error))
    port = int(arg("port", os.environ.get("PORT", "8080")))
    host = arg("host", os.environ.get("HOST", "127.0.0.1"))
    httpd = ThreadingHTTPServer((host, port), make_handler(state))
    sys.stdout.write("listening on http://%s:%d\n" % (host, httpd.server_address[1]))
    sys.stdout.flush()
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
