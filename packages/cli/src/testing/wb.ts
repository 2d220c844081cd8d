import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
/** The bundled command users run (built by `npm test` / `npm start` before the tests). */
export const wbBin = path.join(repoRoot, 'packages', 'cli', 'dist', 'bundle', 'bin.js');
/** Debian's python has the ML packages; the client itself needs only the stdlib. */
export const python = process.env.WB_PYTHON ?? '/usr/bin/python3';

export interface WbResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The workspace of a test's temporary folder: a subfolder, so test files can sit beside it. */
export const workspaceOf = (home: string): string => path.join(home, 'workspace');

/** Start the real, built `wb` as a child process with its own workspace. */
export function spawnWb(home: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): ChildProcess & { result: Promise<WbResult> } {
  const child = spawn(process.execPath, [wbBin, ...args], {
    cwd: opts.cwd ?? home,
    env: { ...process.env, WB_HOME: workspaceOf(home), WB_PYTHON: python, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = new Promise<WbResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return Object.assign(child, { result });
}

export async function wb(home: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<WbResult> {
  return spawnWb(home, args, opts).result;
}

export async function wbJson<T = any>(home: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<T> {
  const r = await wb(home, [...args, '--json'], opts);
  if (r.code !== 0) throw new Error(`wb ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
