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

/** An error commander raised about the command line itself; it has already printed it. */
export function isUsageError(err: unknown): err is { code: string; exitCode: number } {
  const e = err as { code?: unknown; exitCode?: unknown };
  return typeof e?.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number';
}

/** --help and --version end 0; every other usage mistake is bad input (2), as documented. */
export function usageExit(err: { code: string; exitCode: number }): number {
  if (err.exitCode === 0 || err.code === 'commander.error') return err.exitCode; // command.error() picked its own
  return 2;
}
