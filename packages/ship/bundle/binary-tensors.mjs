// The binary request format, for clients that hold their features as numbers already:
//   Content-Type: application/octet-stream
//   body: little-endian float32 values, row after row, each row in the column order of the
//   model's recorded input (rows = body bytes / (4 × values per row)).
// With `Accept: application/octet-stream` the answer is one output's raw little-endian
// values, its name, dtype and shape in X-Output-Name / X-Output-Dtype / X-Output-Shape.
// Errors stay JSON. There is no missing value in this format: NaN and ±Infinity are
// rejected (JSON's null is the way to send a missing value).

import { RequestError, bad } from './request-error.mjs';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export const BINARY = 'application/octet-stream';

/**
 * How the model's input reads from float32 rows, worked out once when the model loads:
 * { name, dtype, width, inner, columns } or { unsupported: why }.
 */
export function binaryPlan(signature) {
  if (!signature || signature.inputs.length !== 1) return { unsupported: `this model takes ${signature ? signature.inputs.length : 'unknown'} inputs; binary requests carry one` };
  const spec = signature.inputs[0];
  if (spec.dtype !== 'float32' && spec.dtype !== 'float64') return { unsupported: `input '${spec.name}' is ${spec.dtype}; binary requests carry float32 values` };
  const inner = spec.shape.slice(1).map((d) => (d === null || d < 0 ? null : d));
  if (spec.columns) return { name: spec.name, dtype: spec.dtype, width: spec.columns.length, inner: [spec.columns.length], columns: spec.columns };
  if (inner.length === 0 || inner.some((d) => d === null)) return { unsupported: `input '${spec.name}' has shape [${spec.shape.map((d) => d ?? '?').join(', ')}]: a row's size is not fixed` };
  return { name: spec.name, dtype: spec.dtype, width: inner.reduce((a, d) => a * d, 1), inner, columns: null };
}

/** The body as the model's input: { data, shape, batch }; a 4xx that says what was expected otherwise. */
export function readBinaryRows(plan, bytes, maxRows) {
  if (plan.unsupported) throw new RequestError(415, 'INVALID_INPUT', `binary requests are not available for this model: ${plan.unsupported}`, 'send application/json');
  const rowBytes = plan.width * 4;
  const shapeHint = `a row is ${plan.width} little-endian float32 values (${rowBytes} bytes)${plan.columns ? ` in this order: ${plan.columns.slice(0, 50).join(', ')}${plan.columns.length > 50 ? ', …' : ''}` : ''}`;
  if (!bytes || bytes.length === 0) throw bad('the request body is empty', shapeHint);
  if (bytes.length % rowBytes !== 0) throw bad(`the body is ${bytes.length} bytes, not a whole number of ${rowBytes}-byte rows (${plan.width} float32 values each)`, shapeHint);
  const batch = bytes.length / rowBytes;
  if (batch > maxRows) throw new RequestError(413, 'PAYLOAD_TOO_LARGE', `${batch} rows in one request; at most ${maxRows}`, 'split the rows into several requests');
  const floats = new Float32Array(batch * plan.width);
  if (LITTLE_ENDIAN) new Uint8Array(floats.buffer).set(bytes);
  else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let k = 0; k < floats.length; k++) floats[k] = view.getFloat32(k * 4, true);
  }
  for (let k = 0; k < floats.length; k++) {
    const v = floats[k];
    // v - v is 0 for a finite number and NaN for NaN or ±Infinity.
    if (v - v !== 0) {
      const row = Math.floor(k / plan.width);
      const col = k % plan.width;
      const where = plan.columns ? `column '${plan.columns[col]}'` : `value ${col}`;
      throw bad(`row ${row}, ${where} is ${v}: the values must be finite numbers`, 'the binary format has no missing value; send JSON with null for one');
    }
  }
  const data = plan.dtype === 'float32' ? floats : new Float64Array(floats);
  return { data, shape: [batch, ...plan.inner], batch };
}

/** Whether the client asked for raw output values (and not only for anything). */
export function wantsBinary(accept) {
  if (!accept) return false;
  for (const part of String(accept).split(',')) {
    const [type, ...params] = part.split(';');
    if (type.trim().toLowerCase() !== BINARY) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return !q || Number(q.slice(2)) > 0;
  }
  return false;
}

const TYPED = { float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };

/** One output tensor as raw little-endian bytes with the headers that describe it. */
export function outputBytes(name, tensor) {
  const Typed = TYPED[tensor.type];
  const data = tensor.data;
  if (!Typed || !(data instanceof Typed)) throw new RequestError(406, 'INVALID_INPUT', `output '${name}' holds ${tensor.type} values, which have no raw binary form`, 'ask for JSON (Accept: application/json)');
  let bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    const swapped = Buffer.from(bytes); // a copy: the tensor's own memory stays as it is
    if (data.BYTES_PER_ELEMENT === 4) swapped.swap32();
    else swapped.swap64();
    bytes = swapped;
  }
  return { bytes, headers: { 'x-output-name': name, 'x-output-dtype': tensor.type, 'x-output-shape': tensor.dims.join(',') } };
}
