import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const cliBin = path.join(root, 'packages/cli/dist/bundle/bin.js');
export const chromiumPath = process.env.WB_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A fresh workspace folder (inside a temporary folder whose other files can be imported), removed by `cleanup`. */
export function tempHome(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), 'wb-e2e-')), 'home');
}

/** Run the real CLI against a workspace; throws with its output when it fails. */
export function wb(home: string, args: string[], opts: { cwd?: string } = {}): string {
  const r = spawnSync(process.execPath, [cliBin, ...args], { env: { ...process.env, WB_HOME: home }, encoding: 'utf8', cwd: opts.cwd ?? path.dirname(home), timeout: 60_000 });
  if (r.status !== 0) throw new Error(`wb ${args.join(' ')} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

export interface Served {
  url: string;
  tokenUrl: string;
  port: number;
  token: string;
  proc: ChildProcess;
  stderr: () => string;
  /** SIGTERM and wait for the process to end (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** `wb serve --port N --json` as a child process; resolves once it prints its address. */
export async function serve(home: string, port = 0, env: Record<string, string> = {}): Promise<Served> {
  const proc = spawn(process.execPath, [cliBin, 'serve', '--port', String(port), '--json'], {
    env: { ...process.env, WB_HOME: home, WB_CANCEL_GRACE_MS: '2000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => (live.delete(proc), resolve())));
  const info = await new Promise<{ url: string; tokenUrl: string; port: number }>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`wb serve printed no address within 20 s: ${err}`)), 20_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, nl)));
        } catch (e) {
          reject(e as Error);
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`wb serve exited ${code}: ${err}`));
    });
  });
  const token = decodeURIComponent(new URL(info.tokenUrl).searchParams.get('token')!);
  return {
    ...info,
    token,
    proc,
    stderr: () => err,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A JSON call to the server's API with the token. */
export async function apiCall<T = unknown>(s: Pick<Served, 'url' | 'token'>, method: string, p: string, body?: unknown): Promise<T> {
  const res = await fetch(`${s.url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${s.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A node script that prints lines and writes metric/progress events to fd 3. */
export function nodeScript(body: string): string[] {
  const prelude = `const fs=require('fs');const ev=(o)=>fs.writeSync(3,JSON.stringify(o)+'\\n');const sleep=(ms)=>new Promise(r=>setTimeout(r,ms));`;
  return [process.execPath, '-e', `${prelude}(async()=>{${body}})()`];
}

/** `wb llm serve FILE --name tiny --port 0 --json`: the built-in engine (a real llama.cpp) as a child process. */
export async function llmServe(file: string, opts: { threads?: number } = {}): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [cliBin, 'llm', 'serve', file, '--name', 'tiny', '--port', '0', '--threads', String(opts.threads ?? 1), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`wb llm serve printed no address: ${err}`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve((JSON.parse(out.slice(0, out.indexOf('\n'))) as { url: string }).url);
      }
    });
    proc.once('exit', (code) => reject(new Error(`wb llm serve exited ${code}: ${err}`)));
  });
  return { url, proc };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS, headless: true });
}

export async function openApp(browser: Browser, s: Served, opts: { colorScheme?: 'light' | 'dark'; path?: string } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ colorScheme: opts.colorScheme ?? 'light', viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const u = new URL(s.tokenUrl);
  if (opts.path) u.pathname = opts.path;
  await page.goto(u.toString());
  return { context, page };
}

export function cleanup(home: string): void {
  rmSync(path.dirname(home), { recursive: true, force: true });
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const t0 = Date.now();
  const end = t0 + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) {
        if (process.env.WB_E2E_TIMING && Date.now() - t0 > 500) console.log(`waited ${Date.now() - t0} ms for ${what}`);
        return v;
      }
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; html: string; failureSummary?: string }>;
}

/**
 * Run axe-core (the copy installed at the repo root) on the page as it is now and fail on any
 * serious or critical violation, naming the rule, the elements and how to fix them. Minor and
 * moderate findings are returned for the caller to print. Call it on every page a test opens:
 * `await expectAccessible(page, 'models list')`.
 */
export async function expectAccessible(page: Page, name: string, opts: { exclude?: string[]; disableRules?: string[] } = {}): Promise<AxeViolation[]> {
  // Evaluated through the DevTools protocol, not a <script> tag: the app's CSP forbids inline scripts.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(path.join(root, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  // A dialog still fading in has its text at part opacity: axe would measure that contrast.
  // (Endless ones, such as a loading skeleton's pulse, are left running.)
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        .filter((a) => Number.isFinite(Number(a.effect?.getComputedTiming().endTime)))
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const violations = await page.evaluate(
    async ({ exclude, disableRules }) => {
      const axe = (window as unknown as { axe: { run: (ctx: unknown, o: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
      const ctx = exclude.length ? { include: [['html']], exclude: exclude.map((s) => [s]) } : document;
      const r = await axe.run(ctx, { resultTypes: ['violations'], rules: Object.fromEntries(disableRules.map((id) => [id, { enabled: false }])) });
      return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, html: n.html.slice(0, 200), ...(n.failureSummary ? { failureSummary: n.failureSummary } : {}) })) }));
    },
    { exclude: opts.exclude ?? [], disableRules: opts.disableRules ?? [] },
  );
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const text = bad.map((v) => `- [${v.impact}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    ${JSON.stringify(n.target)} ${n.html}\n      ${n.failureSummary?.replace(/\n/g, '\n      ') ?? ''}`).join('\n')}`).join('\n');
    throw new Error(`accessibility: ${bad.length} serious or critical violation(s) on ${name}:\n${text}`);
  }
  return violations;
}

/** Where browser tests save screenshots (kept as test artifacts): $WB_E2E_ARTIFACTS or test-results/e2e. */
export const artifactsDir = process.env.WB_E2E_ARTIFACTS ?? path.join(root, 'test-results/e2e');

/** Save a full-page screenshot as a test artifact; returns its path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name.replace(/[^a-z0-9._-]+/gi, '-')}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
