// The error a prediction request gets back: an HTTP status, a stable code, a message that
// names what is wrong and a hint that says what to send instead.

export class RequestError extends Error {
  constructor(status, code, message, hint) {
    super(message);
    this.status = status;
    this.code = code;
    this.hint = hint;
  }
}

export const bad = (message, hint) => new RequestError(400, 'INVALID_INPUT', message, hint);

/** The JSON error body every Workbench server sends. */
export function errorBody(err) {
  if (err instanceof RequestError) return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } } };
  return { status: 500, body: { error: { code: 'INTERNAL', message: String(err && err.message ? err.message : err).slice(0, 500) } } };
}
