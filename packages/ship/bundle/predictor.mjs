// Prediction core shared by `wb serve-model` and the exported bundle's server: request
// validation against the model's signature, tensors in, predictions out (JSON, or raw
// float32 with binary-tensors.mjs). Plain JavaScript with no dependency but onnxruntime-node
// (passed in), so the same files run inside Workbench and, copied verbatim, inside a bundle
// on any machine with Node.
import { BINARY, binaryPlan, outputBytes, readBinaryRows, wantsBinary } from './binary-tensors.mjs';
import { jsonRowsPlan, readJsonRows } from './json-rows.mjs';
import { RequestError, bad, errorBody } from './request-error.mjs';

export { RequestError, errorBody };

/** Largest request body accepted; larger ones get 413 before they are parsed. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Most rows in one request. */
export const MAX_ROWS = 100_000;

const FLOAT = new Set(['float32', 'float64']);

/**
 * A table for a model that takes mixed columns (a pickled scikit-learn pipeline): values in
 * the signature's column order, each checked against its column type; null is missing.
 */
export function buildTable(signature, body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the request body must be a JSON object', 'send {"rows": [{…}, …]}');
  const extra = Object.keys(body).filter((k) => k !== 'rows');
  if (extra.length) throw bad(`unknown field(s) in the request: ${extra.join(', ')}`, 'this model takes {"rows": [{"<column>": value, …}]}');
  const spec = signature.inputs[0];
  const cols = spec.columns;
  if (!cols) throw bad('this model has no column list in its signature: register it with --schema');
  const types = spec.columnTypes ?? cols.map(() => 'number');
  const rows = body.rows;
  if (!Array.isArray(rows) || rows.length === 0) throw bad('"rows" must be a non-empty array');
  if (rows.length > MAX_ROWS) throw new RequestError(413, 'PAYLOAD_TOO_LARGE', `${rows.length} rows in one request; at most ${MAX_ROWS}`, 'split the rows into several requests');
  const out = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw bad(`row ${i} must be an object of columns, got ${describe(row)}`);
    const values = new Array(cols.length);
    for (let j = 0; j < cols.length; j++) {
      const v = row[cols[j]];
      const where = `row ${i}, column '${cols[j]}'`;
      if (v === undefined) throw bad(`row ${i} lacks column '${cols[j]}'`, `the model takes: ${cols.slice(0, 50).join(', ')}`);
      if (v !== null && types[j] === 'number' && (typeof v !== 'number' || !Number.isFinite(v))) throw bad(`${where} must be a finite number (or null for missing), got ${describe(v)}`);
      if (v !== null && types[j] === 'string' && typeof v !== 'string') throw bad(`${where} must be a string (or null for missing), got ${describe(v)}`);
      values[j] = v;
    }
    if (Object.keys(row).length !== cols.length) {
      const unknown = Object.keys(row).filter((k) => !cols.includes(k));
      throw bad(`row ${i} has unknown column(s): ${unknown.slice(0, 10).join(', ')}`, `the model takes: ${cols.slice(0, 50).join(', ')}`);
    }
    out[i] = values;
  }
  return { columns: cols, rows: out };
}
const INT = new Set(['int32', 'int64']);

function typedArray(dtype, n) {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'bool':
      return new Uint8Array(n);
    default:
      return new Array(n);
  }
}

/** One cell checked against the input's dtype; `where` names it in the error. */
function cell(dtype, value, where) {
  if (FLOAT.has(dtype)) {
    if (value === null) return NaN; // null is a missing value: the model's own imputation handles it
    if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`${where} must be a finite number (or null for missing), got ${describe(value)}`);
    return value;
  }
  if (INT.has(dtype)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(`${where} must be an integer, got ${describe(value)}`);
    return dtype === 'int64' ? BigInt(value) : value;
  }
  if (dtype === 'bool') {
    if (typeof value !== 'boolean') throw bad(`${where} must be true or false, got ${describe(value)}`);
    return value ? 1 : 0;
  }
  if (typeof value !== 'string') throw bad(`${where} must be a string, got ${describe(value)}`);
  return value;
}

function describe(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** Fixed dimensions of a spec after the batch dimension (null/negative = free). */
function innerDims(spec) {
  return spec.shape.slice(1).map((d) => (d === null || d < 0 ? null : d));
}

/**
 * Turn a request body into one tensor per model input. Two shapes of request:
 *   {"rows": [{"col": 1.5, …}, …]}      tabular: the columns recorded at registration
 *   {"rows": [[1.5, 2.0], …]}           one input, one feature vector per row
 *   {"inputs": {"features": [[…], …]}}  tensors by input name, nested arrays
 */
export function buildFeeds(signature, body, Tensor) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('the request body must be a JSON object', 'send {"rows": [{…}, …]} or {"inputs": {"<name>": [[…]]}}');
  const keys = Object.keys(body);
  const extra = keys.filter((k) => k !== 'rows' && k !== 'inputs');
  if (extra.length) throw bad(`unknown field(s) in the request: ${extra.join(', ')}`, 'send {"rows": […]} or {"inputs": {…}}');
  if ('rows' in body === 'inputs' in body) throw bad('send either "rows" or "inputs"', 'e.g. {"rows": [{…}]}');
  const feeds = {};
  let batch;
  if ('rows' in body) {
    const rows = body.rows;
    if (!Array.isArray(rows) || rows.length === 0) throw bad('"rows" must be a non-empty array');
    if (rows.length > MAX_ROWS) throw new RequestError(413, 'PAYLOAD_TOO_LARGE', `${rows.length} rows in one request; at most ${MAX_ROWS}`, 'split the rows into several requests');
    batch = rows.length;
    if (signature.inputs.length !== 1 && signature.inputs.some((s) => !s.columns)) throw bad('this model takes several inputs: send {"inputs": {…}}', `inputs: ${signature.inputs.map((s) => s.name).join(', ')}`);
    for (const spec of signature.inputs) {
      const dims = innerDims(spec);
      const cols = spec.columns;
      const width = cols ? cols.length : dims.length === 1 && dims[0] !== null ? dims[0] : null;
      if (width === null) throw bad(`input ${spec.name} is not a row of features: send {"inputs": {…}}`);
      const data = typedArray(spec.dtype, batch * width);
      // The common case (finite numbers into a float input) skips cell(): building its error
      // location string for every value costs more than the model at small sizes.
      const isFloat = FLOAT.has(spec.dtype);
      for (let i = 0; i < batch; i++) {
        const row = rows[i];
        if (cols && row !== null && typeof row === 'object' && !Array.isArray(row)) {
          let seen = 0;
          for (let j = 0; j < width; j++) {
            const v = row[cols[j]];
            if (v === undefined) throw bad(`row ${i} lacks column '${cols[j]}'`, `the model takes: ${cols.slice(0, 50).join(', ')}${cols.length > 50 ? ', …' : ''}`);
            data[i * width + j] = isFloat && typeof v === 'number' && Number.isFinite(v) ? v : cell(spec.dtype, v, `row ${i}, column '${cols[j]}'`);
            seen++;
          }
          if (signature.inputs.length === 1 && Object.keys(row).length !== seen) {
            const unknown = Object.keys(row).filter((k) => !cols.includes(k));
            throw bad(`row ${i} has unknown column(s): ${unknown.slice(0, 10).join(', ')}`, `the model takes: ${cols.slice(0, 50).join(', ')}${cols.length > 50 ? ', …' : ''}`);
          }
        } else if (Array.isArray(row)) {
          if (signature.inputs.length !== 1) throw bad(`row ${i} is an array, but the model takes several inputs`);
          if (row.length !== width) throw bad(`row ${i} has ${row.length} values; the model takes ${width}`, cols ? `in this order: ${cols.slice(0, 50).join(', ')}` : undefined);
          for (let j = 0; j < width; j++) {
            const v = row[j];
            data[i * width + j] = isFloat && typeof v === 'number' && Number.isFinite(v) ? v : cell(spec.dtype, v, `row ${i}, value ${j}`);
          }
        } else {
          throw bad(`row ${i} must be an object of columns${cols ? '' : ' or an array of values'}, got ${describe(row)}`);
        }
      }
      if (spec.dtype === 'float32') checkFloat32Range(data, (k) => (cols ? `row ${Math.floor(k / width)}, column '${cols[k % width]}'` : `row ${Math.floor(k / width)}, value ${k % width}`));
      feeds[spec.name] = new Tensor(spec.dtype, data, [batch, width]);
    }
    return { feeds, batch };
  }
  const inputs = body.inputs;
  if (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs)) throw bad('"inputs" must be an object of tensors by input name');
  const known = new Set(signature.inputs.map((s) => s.name));
  for (const k of Object.keys(inputs)) if (!known.has(k)) throw bad(`unknown input '${k}'`, `the model takes: ${[...known].join(', ')}`);
  for (const spec of signature.inputs) {
    const value = inputs[spec.name];
    if (value === undefined) throw bad(`missing input '${spec.name}'`, `the model takes: ${[...known].join(', ')}`);
    const shape = [];
    const flat = [];
    flatten(value, 0, shape, flat, spec.name);
    if (shape.length !== spec.shape.length) throw bad(`input '${spec.name}' has ${shape.length} dimension(s); the model takes ${spec.shape.length}`);
    spec.shape.forEach((d, k) => {
      if (d !== null && d >= 0 && shape[k] !== d) throw bad(`input '${spec.name}' dimension ${k} is ${shape[k]}; the model takes ${d}`);
    });
    if (shape[0] > MAX_ROWS) throw new RequestError(413, 'PAYLOAD_TOO_LARGE', `${shape[0]} rows in one request; at most ${MAX_ROWS}`, 'split the rows into several requests');
    if (batch !== undefined && shape[0] !== batch) throw bad(`inputs disagree on the batch size (${batch} and ${shape[0]})`);
    batch = shape[0];
    const data = typedArray(spec.dtype, flat.length);
    const isFloat = FLOAT.has(spec.dtype);
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i];
      data[i] = isFloat && typeof v === 'number' && Number.isFinite(v) ? v : cell(spec.dtype, v, `input '${spec.name}' value ${i}`);
    }
    if (spec.dtype === 'float32') checkFloat32Range(data, (k) => `input '${spec.name}' value ${k}`);
    feeds[spec.name] = new Tensor(spec.dtype, data, shape);
  }
  return { feeds, batch: batch ?? 0 };
}

/** A finite number past float32's range turns into Infinity when stored: named, not sent on. */
function checkFloat32Range(data, where) {
  for (let k = 0; k < data.length; k++) {
    if (data[k] === Infinity || data[k] === -Infinity) throw bad(`${where(k)} is outside the float32 range of this input (±3.4e38)`);
  }
}

function flatten(value, depth, shape, out, name) {
  if (!Array.isArray(value)) {
    if (depth === 0) throw bad(`input '${name}' must be a (nested) array`);
    if (shape.length !== depth) throw bad(`input '${name}' is ragged: rows of different lengths`);
    out.push(value);
    return;
  }
  if (depth > 8) throw bad(`input '${name}' nests deeper than 8 dimensions`);
  if (shape.length === depth) {
    if (value.length === 0) throw bad(`input '${name}' has an empty dimension`);
    shape.push(value.length);
  } else if (shape[depth] !== value.length) {
    throw bad(`input '${name}' is ragged: rows of different lengths`);
  }
  for (const v of value) flatten(v, depth + 1, shape, out, name);
}

function toNumber(v) {
  const n = typeof v === 'bigint' ? Number(v) : v;
  return typeof n === 'number' && !Number.isFinite(n) ? null : n; // JSON has no NaN/Infinity
}

/** A tensor's values as one nested array per batch row. */
function rowsOf(tensor) {
  const dims = tensor.dims;
  const data = tensor.data;
  const n = dims[0] ?? 1;
  const out = new Array(n);
  if (dims.length <= 1) {
    for (let i = 0; i < n; i++) out[i] = toNumber(data[i]);
    return out;
  }
  const inner = dims.slice(1);
  const per = inner.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) out[i] = nest(data, i * per, inner);
  return out;
}

function nest(data, offset, dims) {
  if (dims.length === 1) {
    const row = new Array(dims[0]);
    for (let j = 0; j < dims[0]; j++) row[j] = toNumber(data[offset + j]);
    return row;
  }
  const inner = dims.slice(1);
  const per = inner.reduce((a, b) => a * b, 1);
  return Array.from({ length: dims[0] }, (_, k) => nest(data, offset + k * per, inner));
}

/**
 * The response: every output by name, one entry per row, and `predictions` read from the
 * first output: the label of the highest score for a classifier with labels, the value for
 * a one-number output, the row itself otherwise.
 */
export function formatOutputs(signature, outputNames, results) {
  const outputs = {};
  for (const name of outputNames) outputs[name] = rowsOf(results[name]);
  const first = outputs[outputNames[0]];
  const labels = signature.labels;
  const predictions = first.map((row) => {
    if (!Array.isArray(row)) return row;
    if (row.length === 1 && !Array.isArray(row[0])) return row[0];
    if (labels && row.length === labels.length && !Array.isArray(row[0])) {
      let best = 0;
      for (let j = 1; j < row.length; j++) if ((row[j] ?? -Infinity) > (row[best] ?? -Infinity)) best = j;
      return labels[best];
    }
    return row;
  });
  return { predictions, outputs };
}

const ORT_TO_DTYPE = { float: 'float32', double: 'float64', int32: 'int32', int64: 'int64', bool: 'bool', string: 'string' };

/** The inputs and outputs an ONNX session declares, as a signature (no column names). */
export function signatureFromSession(session) {
  const spec = (meta, name) => {
    const m = meta?.find?.((x) => x.name === name);
    const dtype = m && m.isTensor ? ORT_TO_DTYPE[m.type] ?? 'float32' : 'float32';
    const shape = m && m.isTensor ? m.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : null)) : [null];
    return { name, dtype, shape };
  };
  return {
    inputs: session.inputNames.map((n) => spec(session.inputMetadata, n)),
    outputs: session.outputNames.map((n) => spec(session.outputMetadata, n)),
  };
}

/**
 * Hosts several models: each loads on its own, a model that fails to load reports why in
 * `health()` and answers 503, while the others keep serving. `loadOrt` imports
 * onnxruntime-node (lazily, so a missing install is a clear per-model error).
 */
export class ModelHost {
  /** backends: { pickle: async (entry) => ({ predict({columns, rows}), close() }) } for models onnxruntime does not run. */
  constructor(loadOrt, sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 }, backends = {}) {
    this.loadOrt = loadOrt;
    this.sessionOptions = sessionOptions;
    this.backends = backends;
    this.models = new Map();
  }

  /** entry: { name, version, file, format, signature } */
  async add(entry) {
    const state = { ...entry, ready: false, error: null, session: null, ort: null };
    this.models.set(entry.name, state);
    try {
      const backend = this.backends[entry.format];
      if (backend) {
        if (!entry.signature) throw new Error(`a ${entry.format} model needs a signature with its columns: register it with --schema`);
        state.backend = await backend(entry);
        state.ready = true;
        return state;
      }
      if (entry.format !== 'onnx') throw new Error(`serving ${entry.format} models is not built in this server (ONNX only)`);
      let ort;
      try {
        ort = await this.loadOrt();
      } catch (err) {
        throw new Error(`onnxruntime-node is not installed here (${err.message}); run: npm install onnxruntime-node`);
      }
      state.ort = ort;
      state.session = await ort.InferenceSession.create(entry.file, this.sessionOptions);
      const declared = signatureFromSession(state.session);
      state.signature = entry.signature ?? declared;
      const missing = state.signature.inputs.filter((s) => !state.session.inputNames.includes(s.name));
      if (missing.length) throw new Error(`the recorded signature names input(s) the model lacks: ${missing.map((s) => s.name).join(', ')}`);
      state.outputNames = state.session.outputNames;
      state.jsonPlan = jsonRowsPlan(state.signature);
      state.binaryPlan = binaryPlan(state.signature);
      state.ready = true;
    } catch (err) {
      state.error = String(err && err.message ? err.message : err).slice(0, 2000);
    }
    return state;
  }

  health() {
    const models = [...this.models.values()].map((m) => {
      const b = m.backend?.status?.();
      return { name: m.name, version: m.version, ready: m.ready && (b ? b.ready : true), error: m.error ?? b?.error ?? null };
    });
    return { status: models.every((m) => m.ready) ? 'ok' : 'degraded', models };
  }

  async close() {
    for (const m of this.models.values()) {
      await m.backend?.close?.();
      await m.session?.release?.();
    }
  }

  list() {
    return [...this.models.values()].map((m) => ({ name: m.name, version: m.version, format: m.format, ready: m.ready, error: m.error, signature: m.signature ?? null }));
  }

  /** The model `name` names (the only one when null), ready to predict; throws RequestError. */
  model(name) {
    let m;
    if (name === null) {
      if (this.models.size !== 1) throw new RequestError(404, 'NOT_FOUND', `this server hosts ${this.models.size} models: POST /v1/models/<name>/predict`, `models: ${[...this.models.keys()].join(', ')}`);
      m = [...this.models.values()][0];
    } else {
      m = this.models.get(name);
      if (!m) throw new RequestError(404, 'NOT_FOUND', `no model '${name}' on this server`, `models: ${[...this.models.keys()].join(', ')}`);
    }
    if (!m.ready) throw new RequestError(503, 'UNAVAILABLE', `model '${m.name}' failed to load: ${m.error}`, 'see GET /health; fix the model file and restart');
    return m;
  }

  /** Predict from a parsed JSON body with `name` (or the only model when null); throws RequestError. */
  async predict(name, body) {
    const m = this.model(name);
    if (m.backend) return predictTable(m, body);
    const { feeds, batch } = buildFeeds(m.signature, body, m.ort.Tensor);
    return predictionsOf(m, batch, await run(m, feeds));
  }

  /**
   * One prediction request as it came over HTTP: `body` holds the raw bytes, `contentType`
   * and `accept` the request's headers, `output` the `?output=` query (which output a binary
   * answer carries). Resolves to { headers, body } (a JSON string, or raw bytes when the
   * client accepts application/octet-stream); throws RequestError for bad input.
   */
  async answer(name, { contentType, accept, body, output }) {
    const type = String(contentType ?? '').split(';')[0].trim().toLowerCase();
    if (type !== JSON_TYPE && type !== BINARY) throw new RequestError(415, 'INVALID_INPUT', `send the request as ${JSON_TYPE} or ${BINARY} (float32 rows)${type ? `, not ${type}` : '; it has no Content-Type'}`);
    const m = this.model(name);
    const bytes = body ?? new Uint8Array(0);
    const raw = wantsBinary(accept);
    if (raw) {
      if (m.backend) throw new RequestError(406, 'INVALID_INPUT', `raw binary outputs are for ONNX models; '${m.name}' is a ${m.format} model`, 'ask for JSON (Accept: application/json)');
      if (output !== undefined && !m.outputNames.includes(output)) throw bad(`no output '${output}'`, `outputs: ${m.outputNames.join(', ')}`);
    }
    let feeds;
    let batch;
    if (type === BINARY) {
      if (m.backend) throw new RequestError(415, 'INVALID_INPUT', `binary requests are for ONNX models; '${m.name}' is a ${m.format} model`, `send ${JSON_TYPE}`);
      const read = readBinaryRows(m.binaryPlan, bytes, MAX_ROWS);
      feeds = { [m.binaryPlan.name]: new m.ort.Tensor(m.binaryPlan.dtype, read.data, read.shape) };
      batch = read.batch;
    } else {
      if (bytes.length === 0) throw bad('the request body is empty', 'send {"rows": [{…}, …]}');
      const fast = m.backend ? null : readJsonRows(m.jsonPlan, bytes, MAX_ROWS);
      if (fast) {
        feeds = { [m.jsonPlan.name]: new m.ort.Tensor(m.jsonPlan.dtype, fast.data, [fast.batch, fast.width]) };
        batch = fast.batch;
      } else {
        const parsed = parseJson(bytes);
        if (m.backend) return jsonAnswer(await predictTable(m, parsed));
        ({ feeds, batch } = buildFeeds(m.signature, parsed, m.ort.Tensor));
      }
    }
    const results = await run(m, feeds);
    if (raw) {
      const name = output ?? m.outputNames[0];
      const { bytes: out, headers } = outputBytes(name, results[name]);
      return { headers: { 'content-type': BINARY, ...headers }, body: out };
    }
    return jsonAnswer(predictionsOf(m, batch, results));
  }
}

const JSON_TYPE = 'application/json';

function parseJson(bytes) {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw bad(`the request body is not valid JSON (${err.message})`, 'JSON has no NaN or Infinity: send null for a missing value');
  }
}

function jsonAnswer(value) {
  return { headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(value) };
}

async function run(m, feeds) {
  try {
    return await m.session.run(feeds);
  } catch (err) {
    throw new RequestError(422, 'INVALID_INPUT', `the model could not run on this input: ${String(err.message ?? err).slice(0, 500)}`);
  }
}

function predictionsOf(m, batch, results) {
  return { model: m.name, version: m.version, rows: batch, ...formatOutputs(m.signature, m.outputNames, results) };
}

async function predictTable(m, body) {
  const table = buildTable(m.signature, body);
  const r = await m.backend.predict(table);
  return { model: m.name, version: m.version, rows: table.rows.length, predictions: r.predictions, outputs: r.probabilities ? { probabilities: r.probabilities } : {} };
}
