import { spawn } from 'node:child_process';
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { startTinyServer, type TinyServer } from '@workbench/llm/testing';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot, wb } from './testing/wb.js';

function run(cmd: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

/**
 * What `npm install` does for this app, offline: the SDK is a file: dependency (npm links it),
 * TypeScript and Node's types come from this checkout.
 */
async function linkDependencies(app: string): Promise<void> {
  await mkdir(path.join(app, 'node_modules', '@workbench'), { recursive: true });
  await mkdir(path.join(app, 'node_modules', '@types'), { recursive: true });
  await symlink(path.join(app, 'vendor', 'workbench-sdk'), path.join(app, 'node_modules', '@workbench', 'sdk'), 'dir');
  await symlink(path.join(repoRoot, 'node_modules', 'typescript'), path.join(app, 'node_modules', 'typescript'), 'dir');
  await symlink(path.join(repoRoot, 'node_modules', '@types', 'node'), path.join(app, 'node_modules', '@types', 'node'), 'dir');
}

describe('wb new', () => {
  let home: { dir: string; dispose: () => Promise<void> };
  let srv: TinyServer;
  beforeAll(async () => {
    home = await tempDir('wb-new-');
    srv = await startTinyServer();
  }, 60_000);
  afterAll(async () => {
    await srv?.close();
    await home?.dispose();
  });

  for (const starter of ['chat-app', 'doc-analyzer', 'image-captioner']) {
    test(`${starter}: scaffolds, builds and passes its smoke test against the built-in engine`, async () => {
      const app = path.join(home.dir, `my-${starter}`);
      const r = await wb(home.dir, ['new', starter, app]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('npm install && npm run build');
      const pkg = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8'));
      expect(pkg.name).toBe(`my-${starter}`);
      expect(pkg.dependencies['@workbench/sdk']).toBe('file:vendor/workbench-sdk');
      await linkDependencies(app);
      const build = await run([process.execPath, 'node_modules/typescript/bin/tsc', '-p', '.'], app);
      expect(build.code, build.out).toBe(0);
      const smoke = await run([process.execPath, '--test', 'dist/'], app, { WB_LLM_ENDPOINT: srv.url, WB_LLM_MODEL: srv.model });
      expect(smoke.code, smoke.out).toBe(0);
      expect(smoke.out).toMatch(/# pass [1-9]/);
      expect(smoke.out).toContain('# fail 0');
    }, 180_000);
  }

  test('unknown starters, missing folders and non-empty folders are refused', async () => {
    const unknown = await wb(home.dir, ['new', 'todo-app', path.join(home.dir, 'x')]);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('starters: chat-app, doc-analyzer, image-captioner');
    const nodir = await wb(home.dir, ['new', 'chat-app']);
    expect(nodir.code).toBe(2);
    const full = path.join(home.dir, 'full');
    await mkdir(full);
    await writeFile(path.join(full, 'keep.txt'), 'mine');
    const r = await wb(home.dir, ['new', 'chat-app', full]);
    expect(r.code).toBe(4);
    expect(await readFile(path.join(full, 'keep.txt'), 'utf8')).toBe('mine');
    const list = await wb(home.dir, ['new', '--list', '--json']);
    expect(JSON.parse(list.stdout).map((s: { name: string }) => s.name)).toEqual(['chat-app', 'doc-analyzer', 'image-captioner']);
  });
});
