// Numeric command-line options. A value that does not parse is an error that names the flag,
// never a silent default: `wb gc --older-than abc` must not mean "the whole trash".
// Plain errors with code and exit code (reportError reads them): this module sits on every
// command's start-up path, which must not load the storage layer.

function invalidOption(message: string, hint?: string): Error {
  return Object.assign(new Error(message), { code: 'INVALID_INPUT', exitCode: 2, ...(hint ? { hint } : {}) });
}

/** A whole number in [min, max]; undefined stays undefined. */
export function intOption(value: string | undefined, flag: string, min: number, max: number, hint?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw invalidOption(`${flag} must be a whole number from ${min} to ${max}, got '${value}'`, hint);
  return n;
}

/** A finite number in [min, max]; undefined stays undefined. */
export function numberOption(value: string | undefined, flag: string, min: number, max = Number.MAX_SAFE_INTEGER, hint?: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw invalidOption(`${flag} must be a number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got '${value}'`, hint);
  return n;
}
