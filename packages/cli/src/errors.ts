/** Print an error the way a user can act on it, and pick the exit code from its code. */
export function reportError(err: unknown): number {
  const e = err as { code?: string; message?: string; hint?: string; exitCode?: number; stack?: string };
  if (e && typeof e.exitCode === 'number' && typeof e.code === 'string') {
    process.stderr.write(`error: ${e.message}\n`);
    if (e.hint) process.stderr.write(`hint: ${e.hint}\n`);
    return e.exitCode;
  }
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (process.env.WB_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
  else process.stderr.write('hint: this looks like a bug; run again with WB_DEBUG=1 for details and report it\n');
  return 1;
}
