import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { spawnWb, wb } from '../../cli/src/testing/wb.js';
import { ollamaBlobPath, parseManifest } from './scan/ollama.js';
import { backdate, fakeGguf, fixtureHome, sha256, writeHfModel, writeLmStudioModel, writeOllamaModel } from './testing/fixtures.js';

// SIGKILL the real `wb cache dedup --yes` (and `undo`) at random moments, many times: after
// every kill each model file must hold its exact original bytes at its original path, and
// each store must still resolve its models (snapshot links, manifest digests).
let home: string;
let dispose: () => Promise<void>;
let fx: ReturnType<typeof fixtureHome>;
const original = new Map<string, string>();
const MODELS = 24;

beforeAll(async () => {
  ({ dir: home, dispose } = await tempDir('wb-mc-kill-'));
  fx = fixtureHome(path.join(home, 'home'));
  for (let i = 0; i < MODELS; i++) {
    const weights = fakeGguf(`model-${i}`, 48 * 1024 + i * 1024);
    const { snapshot } = await writeHfModel(fx.hf, `org/model-${i}-GGUF`, { [`model-${i}.Q4_0.gguf`]: weights, 'README.md': `# model ${i}\n` });
    const manifest = await writeOllamaModel(fx.ollama, `model-${i}:q4`, { model: weights, template: '{{ .Prompt }}' });
    const lm = await writeLmStudioModel(fx.lmstudio, `org/model-${i}-GGUF`, { [`model-${i}.Q4_0.gguf`]: weights });
    original.set(path.join(snapshot, `model-${i}.Q4_0.gguf`), sha256(weights));
    original.set(path.join(lm, `model-${i}.Q4_0.gguf`), sha256(weights));
    const m = parseManifest(readFileSync(manifest, 'utf8'));
    if (typeof m === 'string') throw new Error(m);
    for (const l of [m.config, ...m.layers]) original.set(ollamaBlobPath(fx.ollama, l.digest), l.digest.slice(7));
  }
  await backdate(fx.home);
  // The workspace is created first: this test is about the model files, and a workspace
  // killed during its very first schema migration is another matter (see core's migrations).
  const first = await wb(home, ['cache', 'scan'], { env: fx.env });
  if (first.code !== 0) throw new Error(first.stderr);
}, 120_000);
afterAll(async () => dispose());

function checkEveryFile(when: string): void {
  for (const [p, digest] of original) {
    let got: string;
    try {
      got = sha256(readFileSync(p));
    } catch (err) {
      throw new Error(`${when}: ${p} unreadable: ${(err as Error).message}`);
    }
    if (got !== digest) throw new Error(`${when}: ${p} holds other bytes`);
  }
  const mroot = path.join(fx.ollama, 'manifests', 'registry.ollama.ai', 'library');
  for (const name of readdirSync(mroot)) {
    const m = parseManifest(readFileSync(path.join(mroot, name, 'q4'), 'utf8'));
    if (typeof m === 'string') throw new Error(`${when}: manifest of ${name} ${m}`);
    for (const l of m.layers) expect(statSync(ollamaBlobPath(fx.ollama, l.digest)).size).toBe(l.size);
  }
}

// A pause after journalling each item stretches a run so that kills land inside the replacements.
const env = () => ({ ...fx.env, WB_CACHE_DEDUP_SLOW_MS: '25' });

test('every model file keeps its exact bytes through 25 SIGKILLs of dedup and undo', async () => {
  checkEveryFile('before');
  let killedMidway = 0;
  for (let i = 0; i < 25; i++) {
    const undo = i % 5 === 4;
    const child = spawnWb(home, ['cache', ...(undo ? ['undo', '--all'] : ['dedup', '--yes'])], { env: env() });
    const delay = 150 + Math.floor(Math.random() * 1200);
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const r = await child.result;
    clearTimeout(timer);
    if (r.signal === 'SIGKILL') killedMidway++;
    else expect(r.code, r.stderr).toBe(0);
    checkEveryFile(`after iteration ${i} (${undo ? 'undo' : 'dedup'} ${r.signal ?? `exit ${r.code}`} at ${delay} ms)`);
  }
  // Most runs must really have been killed, or the test proves little.
  expect(killedMidway).toBeGreaterThan(10);

  // Finishing both ways leaves the intended state and no temporary files.
  const done = await wb(home, ['cache', 'dedup', '--yes', '--json'], { env: fx.env });
  expect(done.code, done.stderr).toBe(0);
  checkEveryFile('after a full dedup');
  for (const p of original.keys()) if (p.endsWith('.gguf') && p.includes('.lmstudio')) expect(statSync(p).nlink).toBe(3);
  const leftovers = readdirSync(fx.home, { recursive: true, encoding: 'utf8' }).filter((n) => path.basename(n).startsWith('.wb-'));
  expect(leftovers).toEqual([]);
  const undo = await wb(home, ['cache', 'undo', '--all', '--json'], { env: fx.env });
  expect(undo.code, undo.stderr).toBe(0);
  checkEveryFile('after a full undo');
  for (const p of original.keys()) expect(statSync(p).nlink).toBe(1);
}, 300_000);
