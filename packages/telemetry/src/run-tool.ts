import { execFile } from 'node:child_process';

export type ToolResult = { ok: true; stdout: string } | { ok: false; reason: string; missing: boolean };

/**
 * Run a probe command with a deadline. Every failure becomes a short reason a person can act
 * on ("command not found", "permission denied", "timed out after 3000 ms", "exited with code
 * 9: …"), never an exception.
 */
export function runTool(cmd: string, args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  const timeoutMs = opts.timeoutMs ?? 3000;
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8', windowsHide: true, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout });
      const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
      if (e.code === 'ENOENT') return resolve({ ok: false, reason: 'command not found', missing: true });
      if (e.code === 'EACCES' || e.code === 'EPERM') return resolve({ ok: false, reason: 'permission denied', missing: true });
      if (e.killed || e.signal === 'SIGTERM') return resolve({ ok: false, reason: `timed out after ${timeoutMs} ms`, missing: false });
      const detail = (String(stderr).trim() || String(stdout).trim()).split('\n')[0]?.slice(0, 200) ?? '';
      resolve({ ok: false, reason: `exited with code ${String(e.code)}${detail ? `: ${detail}` : ''}`, missing: false });
    });
  });
}
