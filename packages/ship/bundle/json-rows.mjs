// A one-pass reader of JSON prediction requests for a model with one float input, in the
// shapes clients send most:
//   {"rows": [{"amount": 1.5, …}, …]}   {"rows": [[1.5, …], …]}   {"inputs": {"<name>": [[…], …]}}
// It reads the body's bytes straight into a typed array. JSON.parse would first build an
// object per row and a string per key, which for a 256-row request costs several times what
// the model itself does.
//
// It only ever accelerates: a body it does not fully recognise (another shape, strings,
// escapes in keys, duplicate, unknown or missing columns, non-finite or out-of-grammar
// numbers, too many rows, a syntax error anywhere) makes it return null, and the caller goes
// through JSON.parse and the full validation, which accepts or rejects it with the precise
// message. So it never accepts a body the full path rejects, and it yields the same values:
// each number is the correctly rounded double JSON.parse would give (null is NaN, a missing
// value, as there), stored into the same kind of typed array.

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

const QUOTE = 0x22, COMMA = 0x2c, COLON = 0x3a, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, ZERO = 0x30, NINE = 0x39;
const LBRACKET = 0x5b, RBRACKET = 0x5d, LBRACE = 0x7b, RBRACE = 0x7d, BACKSLASH = 0x5c, LOWER_E = 0x65, UPPER_E = 0x45, LOWER_N = 0x6e;
const ROWS_KEY = textEncoder.encode('rows');
const INPUTS_KEY = textEncoder.encode('inputs');

// Powers of ten a double holds exactly: with a mantissa of at most 15 digits, one multiply or
// divide by one of them is correctly rounded (Clinger's fast path).
const EXACT_POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * What the reader needs to know of a model's input, worked out once when the model loads;
 * null when the model's input is not one float tensor of rows.
 */
export function jsonRowsPlan(signature) {
  if (!signature || signature.inputs.length !== 1) return null;
  const spec = signature.inputs[0];
  if (spec.dtype !== 'float32' && spec.dtype !== 'float64') return null;
  const inner = spec.shape.slice(1).map((d) => (d === null || d < 0 ? null : d));
  const columns = spec.columns ?? null;
  const rowsWidth = columns ? columns.length : inner.length === 1 && inner[0] !== null ? inner[0] : null;
  // {"inputs": …} is read here only as a 2-D tensor of fixed width and free batch size.
  const batchFree = spec.shape[0] === null || spec.shape[0] < 0;
  const inputsWidth = spec.shape.length === 2 && batchFree && inner[0] !== null ? inner[0] : null;
  if (rowsWidth === null && inputsWidth === null) return null;
  return {
    name: spec.name,
    nameBytes: textEncoder.encode(spec.name),
    dtype: spec.dtype,
    columnBytes: columns ? columns.map(rawKeyBytes) : null,
    columnIndex: columns ? new Map(columns.map((c, k) => [c, k])) : null,
    rowsWidth,
    inputsWidth,
    seen: new Uint32Array(columns ? columns.length : 0),
    generation: 0,
  };
}

/** A column name's bytes as they stand in a JSON key, or null when the name needs escapes there. */
function rawKeyBytes(name) {
  const bytes = textEncoder.encode(name);
  return bytes.some((c) => c === QUOTE || c === BACKSLASH || c < 0x20) ? null : bytes;
}

// The reader's state for the body being read (one body at a time: reading is synchronous).
let b = null;
let at = 0;
let end = 0;
let failed = false;
let values = new Float64Array(1 << 16);
let count = 0;
let narrow = true; // the values go into a Float32Array

/**
 * The body as {data, batch, width}, or null when the full path must decide (see above).
 * `data` is a fresh Float32Array (Float64Array for a float64 input) the caller may keep.
 */
export function readJsonRows(plan, bytes, maxRows) {
  if (!plan) return null;
  b = bytes;
  at = 0;
  end = bytes.length;
  failed = false;
  count = 0;
  narrow = plan.dtype === 'float32';
  try {
    const read = readBody(plan, maxRows);
    if (read === null || failed) return null;
    const slice = values.subarray(0, count);
    const data = narrow ? new Float32Array(slice) : new Float64Array(slice);
    // A finite number beyond float32's range would become Infinity: the full path names it.
    for (let k = 0; k < data.length; k++) if (data[k] === Infinity || data[k] === -Infinity) return null;
    return { data, batch: read.batch, width: read.width };
  } finally {
    b = null;
    if (values.length > 1 << 20) values = new Float64Array(1 << 16); // a huge request does not pin its scratch memory
  }
}

function readBody(plan, maxRows) {
  space();
  if (b[at] !== LBRACE) return null;
  at++;
  space();
  const keyStart = at;
  const keyEnd = key();
  if (keyEnd < 0) return null;
  space();
  if (b[at] !== COLON) return null;
  at++;
  space();
  let read;
  if (same(keyStart, keyEnd, ROWS_KEY)) {
    if (plan.rowsWidth === null) return null;
    const batch = rows(plan, plan.rowsWidth, maxRows, true);
    read = batch < 0 ? null : { batch, width: plan.rowsWidth };
  } else if (same(keyStart, keyEnd, INPUTS_KEY)) {
    if (plan.inputsWidth === null || b[at] !== LBRACE) return null;
    at++;
    space();
    const nameStart = at;
    const nameEnd = key();
    if (nameEnd < 0 || !same(nameStart, nameEnd, plan.nameBytes)) return null;
    space();
    if (b[at] !== COLON) return null;
    at++;
    space();
    const batch = rows(plan, plan.inputsWidth, maxRows, false);
    if (batch < 0) return null;
    space();
    if (b[at] !== RBRACE) return null;
    at++;
    read = { batch, width: plan.inputsWidth };
  } else {
    return null;
  }
  if (read === null) return null;
  space();
  if (b[at] !== RBRACE) return null;
  at++;
  space();
  return at === end ? read : null;
}

/** A non-empty array of rows; the number of rows, or -1. */
function rows(plan, width, maxRows, objectsAllowed) {
  if (b[at] !== LBRACKET) return -1;
  at++;
  space();
  if (b[at] === RBRACKET) return -1; // empty: the full path says so
  let batch = 0;
  for (;;) {
    if (++batch > maxRows) return -1;
    if (count + width > values.length) grow(count + width);
    const c = b[at];
    if (c === LBRACKET) {
      if (!arrayRow(width)) return -1;
    } else if (c === LBRACE && objectsAllowed && plan.columnBytes) {
      if (!objectRow(plan, width)) return -1;
    } else {
      return -1;
    }
    space();
    const sep = b[at++];
    if (sep === RBRACKET) return batch;
    if (sep !== COMMA) return -1;
    space();
  }
}

function arrayRow(width) {
  at++; // [
  space();
  for (let j = 0; j < width; j++) {
    values[count + j] = value();
    const next = afterRowValue(j, width, RBRACKET);
    if (next !== CONTINUE) return next === ROW_DONE;
  }
  return false;
}

const CONTINUE = 0;
const ROW_DONE = 1;
const MALFORMED = 2;

/**
 * After the n-th of a row's `width` values: a comma before the last one, the row's closing
 * bracket or brace after it. At the close the row counts as read.
 */
function afterRowValue(n, width, close) {
  if (failed) return MALFORMED;
  space();
  const sep = b[at++];
  if (sep === close) {
    if (n !== width - 1) return MALFORMED;
    count += width;
    return ROW_DONE;
  }
  if (sep !== COMMA || n === width - 1) return MALFORMED;
  space();
  return CONTINUE;
}

function objectRow(plan, width) {
  at++; // {
  space();
  if (++plan.generation === 0xffffffff) {
    plan.seen.fill(0);
    plan.generation = 1;
  }
  const generation = plan.generation;
  const seen = plan.seen;
  const columns = plan.columnBytes;
  for (let n = 0; n < width; n++) {
    if (b[at] !== QUOTE) return false;
    // Clients mostly send the columns in the recorded order: try that one first.
    let k = n;
    const expected = columns[n];
    const len = expected === null ? -1 : expected.length;
    let matched = len >= 0 && b[at + 1 + len] === QUOTE;
    for (let q = 0; matched && q < len; q++) if (b[at + 1 + q] !== expected[q]) matched = false;
    if (matched) {
      at += len + 2;
    } else {
      const keyStart = at;
      const keyEnd = key();
      if (keyEnd < 0) return false;
      k = plan.columnIndex.get(textDecoder.decode(b.subarray(keyStart + 1, keyEnd - 1))) ?? -1;
      if (k < 0) return false;
    }
    if (seen[k] === generation) return false;
    seen[k] = generation;
    space();
    if (b[at] !== COLON) return false;
    at++;
    space();
    values[count + k] = value();
    const next = afterRowValue(n, width, RBRACE);
    if (next !== CONTINUE) return next === ROW_DONE;
  }
  return false;
}

/** A quoted key with no escapes; returns the index after its closing quote, or -1. */
function key() {
  if (b[at] !== QUOTE) return -1;
  let i = at + 1;
  for (;;) {
    if (i >= end) return -1;
    const c = b[i];
    if (c === QUOTE) break;
    if (c === BACKSLASH || c < 0x20) return -1;
    i++;
  }
  at = i + 1;
  return at;
}

/** Whether the quoted key at [start, stop) spells `word`. */
function same(start, stop, word) {
  const n = word.length;
  if (stop - start - 2 !== n) return false;
  for (let k = 0; k < n; k++) if (b[start + 1 + k] !== word[k]) return false;
  return true;
}

function space() {
  while (at < end) {
    const c = b[at];
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
    else return;
  }
}

/**
 * A JSON number (or null, a missing value: NaN); sets `failed` on anything else or a
 * non-finite result. Up to 15 significant digits and a power of ten up to 22 the result is
 * exact arithmetic; longer numbers (the 17 digits of a float64 printed in full are common)
 * going into a float32 input take an estimate within a few units in the last place of the
 * double, which is the answer whenever the estimate's whole error interval rounds to one
 * float32; the rest goes through the text, as JSON.parse does.
 */
function value() {
  const start = at;
  let c = b[at];
  if (c === LOWER_N) {
    if (b[at + 1] === 0x75 && b[at + 2] === 0x6c && b[at + 3] === 0x6c) {
      at += 4;
      return NaN;
    }
    failed = true;
    return 0;
  }
  let negative = false;
  if (c === MINUS) {
    negative = true;
    c = b[++at];
  }
  let high = 0; // the first 15 significant digits
  let low = 0; // the next 4
  let digits = 0;
  let scale = 0;
  if (c === ZERO) {
    c = b[++at];
  } else if (c > ZERO && c <= NINE) {
    do {
      if (digits < 15) high = high * 10 + (c - ZERO);
      else if (digits < 19) low = low * 10 + (c - ZERO);
      else scale++;
      digits++;
      c = b[++at];
    } while (c >= ZERO && c <= NINE);
  } else {
    failed = true;
    return 0;
  }
  if (c === DOT) {
    c = b[++at];
    if (!(c >= ZERO && c <= NINE)) {
      failed = true;
      return 0;
    }
    do {
      if (digits === 0 && c === ZERO) scale--;
      else {
        if (digits < 15) high = high * 10 + (c - ZERO);
        else if (digits < 19) low = low * 10 + (c - ZERO);
        if (digits < 19) scale--;
        digits++;
      }
      c = b[++at];
    } while (c >= ZERO && c <= NINE);
  }
  if (c === LOWER_E || c === UPPER_E) {
    c = b[++at];
    let expNegative = false;
    if (c === MINUS || c === PLUS) {
      expNegative = c === MINUS;
      c = b[++at];
    }
    if (!(c >= ZERO && c <= NINE)) {
      failed = true;
      return 0;
    }
    let exponent = 0;
    do {
      if (exponent < 100000) exponent = exponent * 10 + (c - ZERO);
      c = b[++at];
    } while (c >= ZERO && c <= NINE);
    scale += expNegative ? -exponent : exponent;
  }
  let v = NaN;
  if (scale >= -22 && scale <= 22) {
    if (digits <= 15) {
      v = scale >= 0 ? high * EXACT_POW10[scale] : high / EXACT_POW10[-scale];
    } else if (narrow && digits <= 19) {
      const m = high * EXACT_POW10[digits - 15] + low; // at most two roundings
      const d = scale >= 0 ? m * EXACT_POW10[scale] : m / EXACT_POW10[-scale]; // a third
      const eps = d * 1.7763568394002505e-15; // 2^-49: eight units in the last place, well above the error
      if (Math.fround(d - eps) === Math.fround(d + eps)) v = d;
    }
  }
  if (v !== v) v = Number(ascii(negative ? start + 1 : start, at)); // the same correctly rounded conversion JSON.parse makes
  if (!Number.isFinite(v)) {
    failed = true;
    return 0;
  }
  return negative ? -v : v;
}

function ascii(from, to) {
  let text = '';
  for (let k = from; k < to; k++) text += String.fromCharCode(b[k]);
  return text;
}

function grow(needed) {
  let size = values.length * 2;
  while (size < needed) size *= 2;
  const next = new Float64Array(size);
  next.set(values.subarray(0, count));
  values = next;
}
