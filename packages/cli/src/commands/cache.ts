import type { Command } from 'commander';
import type { Workspace } from '@workbench/core';
import type { CacheSummary, ModelCache, ScanIndex } from '@workbench/modelcache';
import { withWorkspace, type GlobalOptions } from '../context.js';
import { ago, bytes, printJson, table } from '../output.js';

const KINDS = ['huggingface', 'ollama', 'lmstudio', 'llamacpp', 'node-llama-cpp', 'folder'];

/** core's resolveWorkspaceDir rule, without loading core: `status` must not pay for SQLite. */
async function workspaceDir(cmd: Command): Promise<string> {
  const [os, path] = await Promise.all([import('node:os'), import('node:path')]);
  return path.resolve(cmd.optsWithGlobals<GlobalOptions>().workspace ?? process.env.WB_HOME ?? path.join(os.homedir(), '.workbench'));
}

/** A model cache whose hash cache is the workspace's (shared with dataset imports). */
async function openCache(ws: Workspace): Promise<ModelCache> {
  const { ModelCache } = await import('@workbench/modelcache');
  const { SqliteHashCache } = await import('@workbench/core');
  return ModelCache.open({ workspaceDir: ws.dir, hashCache: new SqliteHashCache(ws.db) });
}

/** Walk the stores with a progress bar; the result is also saved for `status`. */
async function scanWithBar(mc: ModelCache, opts: { trustUnchangedBlobs?: boolean } = {}): Promise<{ index: ScanIndex; summary: CacheSummary }> {
  const { DelayedBar } = await import('../progress.js');
  const bar = new DelayedBar('hashing');
  try {
    return await mc.scan((p) => bar.update(p.bytesDone, p.bytesTotal, `${p.filesDone}/${p.filesTotal} files`), opts);
  } finally {
    bar.stop();
  }
}

/** Ask on a terminal; with no terminal, refuse unless --yes said so. */
async function confirm(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) {
    const { UserError } = await import('@workbench/core');
    throw new UserError('INVALID_INPUT', 'this changes files and there is no terminal to confirm it on', { hint: 'run it again with --yes to go ahead (--dry-run shows what would change)' });
  }
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const yesNo = (b: boolean) => (b ? 'yes' : '');

function problemsLine(s: CacheSummary): string {
  return s.problems.length > 0 ? `${s.problems.length} problem(s) found (dangling links, missing blobs, …): wb cache doctor\n` : '';
}

export function registerCache(program: Command): void {
  const cache = program.command('cache').description('model files across the Hugging Face cache, Ollama, LM Studio and local folders; safe deduplication');

  cache
    .command('status')
    .description('every model on the machine: size, source, who uses it, whether it shares files (from the last scan)')
    .option('-s, --source <store>', `only this store (${KINDS.join(', ')})`)
    .option('--json', 'print JSON')
    .action(async (opts: { source?: string; json?: boolean }, cmd: Command) => {
      const { readSummary, stateDir } = await import('@workbench/modelcache/summary');
      const dir = await workspaceDir(cmd);
      let s = await readSummary(stateDir(dir));
      if (!s) s = await withWorkspace(cmd, async (ws) => (await scanWithBar(await openCache(ws), { trustUnchangedBlobs: true })).summary);
      if (opts.source && !KINDS.includes(opts.source)) {
        const { invalid } = await import('@workbench/core');
        throw invalid(`unknown store '${opts.source}'`, `one of ${KINDS.join(', ')}`);
      }
      const models = opts.source ? s.models.filter((m) => m.source === opts.source) : s.models;
      if (opts.json) return printJson({ scannedAt: s.scannedAt, stores: s.stores, models, stats: s.stats });
      if (models.length === 0) {
        process.stdout.write(`no models found in ${s.stores.filter((x) => x.exists).map((x) => x.root).join(', ') || 'any store'}\nstores and where they are: wb cache config\n`);
        return;
      }
      process.stdout.write(
        table(
          [...models]
            .sort((a, b) => b.size - a.size)
            .map((m) => ({ model: m.revision && m.source !== 'ollama' ? `${m.name} @${m.revision}` : m.name, size: bytes(m.size), format: m.format, source: m.source, usedBy: m.usedBy.join(', '), linked: yesNo(m.linked) })),
          [
            { key: 'model', title: 'model' },
            { key: 'size', title: 'size', align: 'right' },
            { key: 'format', title: 'format' },
            { key: 'source', title: 'source' },
            { key: 'usedBy', title: 'used by' },
            { key: 'linked', title: 'linked' },
          ],
        ) +
          `\n${models.length} model(s), ${bytes(s.stats.totalBytes)} on disk, ${bytes(s.stats.reclaimableBytes)} reclaimable${s.stats.reclaimableBytes > 0 ? ' (wb cache dedup --dry-run)' : ''}; scanned ${ago(s.scannedAt)} (wb cache scan refreshes)\n` +
          problemsLine(s),
      );
    });

  cache
    .command('scan')
    .description('walk every store again, hash new or changed files (unchanged ones are not read) and save the index')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { index, summary } = await scanWithBar(await openCache(ws), { trustUnchangedBlobs: true });
        if (opts.json) return printJson({ ...summary, filesHashed: index.filesHashed, bytesHashed: index.bytesHashed, hashMs: index.hashMs });
        const stores = summary.stores.map((st) => `  ${st.kind.padEnd(15)} ${st.exists ? '' : '(not found) '}${st.root}  [${st.origin}]`).join('\n');
        process.stdout.write(
          `scanned ${summary.stats.models} model(s), ${summary.stats.files} file(s) in ${index.durationMs} ms; hashed ${index.filesHashed} file(s) (${bytes(index.bytesHashed)})\n${stores}\n` +
            `${bytes(summary.stats.totalBytes)} on disk, ${bytes(summary.stats.reclaimableBytes)} reclaimable in ${summary.stats.duplicateGroups} duplicate group(s)\n` +
            problemsLine(summary),
        );
      }),
    );

  cache
    .command('stats')
    .description('total, reclaimable, saved so far, duplicates and the largest models (from the last scan)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { readSummary, stateDir } = await import('@workbench/modelcache/summary');
      let s = await readSummary(stateDir(await workspaceDir(cmd)));
      if (!s) s = await withWorkspace(cmd, async (ws) => (await scanWithBar(await openCache(ws))).summary);
      if (opts.json) return printJson({ scannedAt: s.scannedAt, ...s.stats, duplicates: s.duplicates, sameModel: s.sameModel });
      const st = s.stats;
      const lines = [
        `models         ${st.models} (${st.files} files)`,
        `on disk        ${bytes(st.totalBytes)}`,
        `reclaimable    ${bytes(st.reclaimableBytes)} in ${st.duplicateGroups} group(s) of identical files`,
        `saved so far   ${bytes(st.savedBytes)} (files shared through hard links)`,
        '',
        'by store:',
        ...st.byStore.map((b) => `  ${b.store.padEnd(15)} ${String(b.models).padStart(5)} model(s)  ${bytes(b.bytes).padStart(9)}  ${b.root}`),
        '',
        'largest models:',
        ...st.largest.map((l) => `  ${bytes(l.size).padStart(9)}  ${l.id}`),
      ];
      if (s.duplicates.length > 0) {
        lines.push('', 'largest duplicates:');
        for (const d of s.duplicates.slice(0, 10)) lines.push(`  ${bytes(d.size).padStart(9)} × ${d.copies.length}  ${d.sha256.slice(0, 12)}  ${d.copies.map((c) => c.models[0]).join(' | ')}`);
      }
      if (s.sameModel.length > 0) {
        lines.push('', 'same model, other format (advisory; not byte-identical, nothing is linked):');
        for (const g of s.sameModel) lines.push(`  ${g.family}: ${g.models.map((m) => `${m.id} (${m.format}${m.quantization ? ' ' + m.quantization : ''}, ${bytes(m.size)})`).join(', ')}`);
      }
      process.stdout.write(lines.join('\n') + '\n');
    });

  cache
    .command('verify [model]')
    .description('re-read files and compare them with their digests (blob names, the hash cache)')
    .option('--json', 'print JSON')
    .action(async (ref: string | undefined, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { verifyModels, findModel } = await import('@workbench/modelcache');
        const { index } = await scanWithBar(await openCache(ws));
        const models = ref ? [findModel(index.models, ref)] : index.models;
        const { DelayedBar } = await import('../progress.js');
        const bar = new DelayedBar('verifying');
        const res = await verifyModels(models, { onBytes: (d, t) => bar.update(d, t) }).finally(() => bar.stop());
        if (opts.json) printJson(res);
        else {
          process.stdout.write(`checked ${res.checked} file(s), ${bytes(res.bytes)}: ${res.ok} intact, ${res.mismatched.length} changed or corrupt, ${res.unreadable.length} unreadable\n`);
          for (const m of res.mismatched) process.stdout.write(`  CORRUPT ${m.path} (${m.model}): expected ${m.expected.slice(0, 16)}…, found ${m.actual.slice(0, 16)}…\n`);
          for (const u of res.unreadable) process.stdout.write(`  UNREADABLE ${u.path}: ${u.message}\n`);
        }
        if (res.mismatched.length + res.unreadable.length > 0) process.exitCode = 1;
      }),
    );

  cache
    .command('dedup')
    .description('replace identical files by hard links (same filesystem); asks first, keeps an undo journal')
    .option('--dry-run', 'show what would be linked and the bytes reclaimed; change nothing')
    .option('-y, --yes', 'do not ask (needed when there is no terminal)')
    .option('--reflink', 'use copy-on-write clones where the filesystem supports them (falls back to hard links)')
    .option('--symlink', 'use symbolic links (can cross filesystems; break if the target moves)')
    .option('--json', 'print JSON')
    .action(async (opts: { dryRun?: boolean; yes?: boolean; reflink?: boolean; symlink?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { planDedup, applyDedup } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        const { index } = await scanWithBar(mc);
        const plan = planDedup(index, opts.symlink ? 'symlink' : opts.reflink ? 'reflink' : 'hardlink');
        if (opts.dryRun || plan.actions.length === 0) {
          if (opts.json) return printJson({ dryRun: true, ...plan });
          process.stdout.write(describePlan(plan) + (plan.actions.length > 0 ? 'dry run: nothing changed (wb cache dedup to apply)\n' : ''));
          return;
        }
        if (!opts.json) process.stdout.write(describePlan(plan));
        if (!(await confirm(`link ${plan.actions.length} file(s) and reclaim ${bytes(plan.reclaimBytes)}?`, opts.yes))) {
          process.stdout.write('nothing changed\n');
          return;
        }
        const { DelayedBar } = await import('../progress.js');
        const bar = new DelayedBar('linking');
        const slowMs = Number(process.env.WB_CACHE_DEDUP_SLOW_MS) || 0;
        const res = await applyDedup(mc.stateDir, plan, { onItem: (d, t) => bar.update(d, t), ...(slowMs ? { slowMs } : {}) }).finally(() => bar.stop());
        await mc.scan();
        if (opts.json) return printJson(res);
        process.stdout.write(`linked ${res.replaced} file(s), reclaimed ${bytes(res.freedBytes)}; undo with wb cache undo\n`);
        for (const f of res.failed) process.stdout.write(`  skipped ${f.path}: ${f.reason}\n`);
        if (res.failed.length > 0) process.exitCode = 1;
      }),
    );

  cache
    .command('undo')
    .description('give every file the last dedup linked its own copy again')
    .option('--all', 'undo every dedup run, newest first')
    .option('--json', 'print JSON')
    .action(async (opts: { all?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { undoDedup } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        const res = await undoDedup(mc.stateDir, { all: opts.all ?? false });
        await mc.scan();
        if (opts.json) return printJson(res);
        if (res.journals.length === 0) return void process.stdout.write('no dedup to undo\n');
        process.stdout.write(`restored ${res.restored.length} separate copy(ies) from ${res.journals.length} dedup run(s)\n`);
        for (const s of res.skipped) process.stdout.write(`  left ${s.path}: ${s.reason}\n`);
      }),
    );

  cache
    .command('doctor')
    .description('find dangling, zero-byte and moved links and missing blobs; --fix heals them from another copy of the same bytes')
    .option('--fix', 'repair what can be repaired')
    .option('--json', 'print JSON')
    .action(async (opts: { fix?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { doctor } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        const { index } = await scanWithBar(mc);
        const findings = await doctor(mc.stateDir, index, { fix: opts.fix ?? false });
        if (opts.fix && findings.some((f) => f.repair === 'repaired')) await mc.scan();
        if (findings.some((f) => f.repair !== 'repaired')) process.exitCode = 1;
        if (opts.json) return printJson(findings);
        if (findings.length === 0) return void process.stdout.write('no problems found\n');
        for (const f of findings) process.stdout.write(`${f.repair.toUpperCase().padEnd(10)} ${f.kind.padEnd(13)} ${f.message}${f.detail ? ` (${f.detail})` : ''}\n`);
        const open = findings.filter((f) => f.repair === 'repairable').length;
        if (open > 0) process.stdout.write(`${open} can be repaired: wb cache doctor --fix\n`);
      }),
    );

  cache
    .command('link <model>')
    .description('make a model loadable by another tool without a copy: an Ollama GGUF into LM Studio, a Hugging Face GGUF into Ollama')
    .requiredOption('--to <tool>', 'lmstudio or ollama')
    .option('--name <name:tag>', 'the Ollama name (with --to ollama)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { to: string; name?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { findModel, linkToLmStudio, linkToOllama } = await import('@workbench/modelcache');
        const { invalid } = await import('@workbench/core');
        if (opts.to !== 'lmstudio' && opts.to !== 'ollama') throw invalid(`--to ${opts.to}: expected lmstudio or ollama`);
        const mc = await openCache(ws);
        const { index } = await scanWithBar(mc);
        const m = findModel(index.models, ref);
        const rec = opts.to === 'lmstudio' ? await linkToLmStudio(mc.stateDir, mc.stores, m) : await linkToOllama(mc.stateDir, mc.stores, m, opts.name ? { name: opts.name } : {});
        await mc.scan();
        if (opts.json) return printJson(rec);
        process.stdout.write(`${m.id} → ${opts.to}: ${rec.path} (${rec.method === 'hardlink' || rec.method === 'manifest' ? 'no copy' : rec.method}); wb cache unlink ${m.id} removes it\n`);
      }),
    );

  cache
    .command('unlink <model>')
    .description('remove what wb cache link made for a model (the original files stay)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { unlink } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        const removed = await unlink(mc.stateDir, ref);
        await mc.scan();
        if (opts.json) return printJson(removed);
        for (const r of removed) process.stdout.write(`removed ${r.path}\n`);
      }),
    );

  cache
    .command('add <source>')
    .description('hf://org/model[@revision] downloads into the Hugging Face cache; ollama://name:tag asks Ollama to pull; file://path registers a folder')
    .option('--json', 'print JSON')
    .action(async (uri: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const mod = await import('@workbench/modelcache');
        const src = mod.parseAddUri(uri);
        const mc = await openCache(ws);
        const { DelayedBar } = await import('../progress.js');
        const bar = new DelayedBar('downloading', 300);
        let detail: unknown;
        try {
          if (src.kind === 'hf') {
            const hub = mc.stores.find((s) => s.kind === 'huggingface')!.root;
            detail = await mod.downloadHf(hub, src.repo, src.revision, { onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.file) });
          } else if (src.kind === 'ollama') {
            await mod.pullOllama(src.name, { onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, p.file.slice(0, 19)) });
            detail = { pulled: src.name };
          } else {
            const path = await import('node:path');
            const { stat } = await import('node:fs/promises');
            const abs = path.resolve(src.path);
            const st = await stat(abs).catch(() => null);
            if (!st?.isDirectory()) throw (await import('@workbench/core')).invalid(`${abs} is not a folder`, 'file:// registers a folder of model files');
            const cfg = await mod.readConfig(ws.dir);
            if (!cfg.folders.includes(abs)) cfg.folders.push(abs);
            await mod.writeConfig(ws.dir, cfg);
            detail = { folder: abs };
          }
        } finally {
          bar.stop();
        }
        const { summary } = await (await openCache(ws)).scan();
        if (opts.json) return printJson({ source: src, ...(detail as object), models: summary.stats.models });
        process.stdout.write(`added ${uri}; ${summary.stats.models} model(s) in the cache now (wb cache status)\n`);
      }),
    );

  cache
    .command('remove <model>')
    .alias('rm')
    .description('delete a model: only files no other model, snapshot or manifest references; says what it frees')
    .option('--dry-run', 'show what would be deleted')
    .option('-y, --yes', 'do not ask (needed when there is no terminal)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { dryRun?: boolean; yes?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { findModel, planRemoval, applyRemoval } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        const { index } = await scanWithBar(mc);
        const m = findModel(index.models, ref);
        const plan = planRemoval(index, m);
        if (opts.json && opts.dryRun) return printJson({ dryRun: true, ...plan });
        if (!opts.json) {
          process.stdout.write(`${opts.dryRun ? 'would delete' : 'deletes'} ${plan.delete.length} path(s) of ${m.id}, freeing ${bytes(plan.freesBytes)}\n`);
          for (const k of plan.kept) process.stdout.write(`  keeps ${k.path}: ${k.reason}\n`);
        }
        if (opts.dryRun) return;
        if (!(await confirm(`delete ${m.id}?`, opts.yes))) return void process.stdout.write('nothing deleted\n');
        const failed = applyRemoval(index, m, plan);
        await mc.scan();
        if (opts.json) return printJson({ ...plan, failed });
        process.stdout.write(`removed ${m.id}; freed ${bytes(plan.freesBytes)}\n`);
        for (const f of failed) process.stdout.write(`  could not delete ${f.path}: ${f.message}\n`);
        if (failed.length > 0) process.exitCode = 1;
      }),
    );

  cache
    .command('clean')
    .description('remove the models no registered app uses (wb cache app add), with confirmation')
    .option('--dry-run', 'list them, delete nothing')
    .option('-y, --yes', 'do not ask (needed when there is no terminal)')
    .option('--json', 'print JSON')
    .action(async (opts: { dryRun?: boolean; yes?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { unusedModels, planRemoval, applyRemoval } = await import('@workbench/modelcache');
        const mc = await openCache(ws);
        let { index } = await scanWithBar(mc);
        const unused = unusedModels(index, mc.config.apps.map((a) => a.name));
        const frees = unused.reduce((s, m) => s + planRemoval(index, m).freesBytes, 0);
        if (opts.json && opts.dryRun) return printJson({ dryRun: true, models: unused.map((m) => ({ id: m.id, size: m.size })), freesBytes: frees });
        if (unused.length === 0) return void process.stdout.write('every model is used by a registered app\n');
        if (!opts.json) {
          process.stdout.write(`${unused.length} model(s) no registered app uses (about ${bytes(frees)}):\n`);
          for (const m of unused) process.stdout.write(`  ${bytes(m.size).padStart(9)}  ${m.id}\n`);
        }
        if (opts.dryRun) return;
        if (!(await confirm(`delete these ${unused.length} model(s)?`, opts.yes))) return void process.stdout.write('nothing deleted\n');
        const removed: string[] = [];
        let freed = 0;
        for (const id of unused.map((m) => m.id)) {
          // Re-plan against a fresh scan: an earlier removal changes what the others share.
          ({ index } = await mc.scan());
          const m = index.models.find((x) => x.id === id);
          if (!m) continue;
          const plan = planRemoval(index, m);
          applyRemoval(index, m, plan);
          freed += plan.freesBytes;
          removed.push(id);
        }
        await mc.scan();
        if (opts.json) return printJson({ removed, freedBytes: freed });
        process.stdout.write(`removed ${removed.length} model(s), freed ${bytes(freed)}\n`);
      }),
    );

  const app = cache.command('app').description('apps that use models (for "used by" and wb cache clean)');
  app
    .command('add <name> <path>')
    .description('register an app by the folder that holds or links to its models')
    .action(async (name: string, p: string, _o: unknown, cmd: Command) => {
      const { readConfig, writeConfig } = await import('@workbench/modelcache');
      const path = await import('node:path');
      const dir = await workspaceDir(cmd);
      const cfg = await readConfig(dir);
      cfg.apps = cfg.apps.filter((a) => a.name !== name).concat([{ name, path: path.resolve(p) }]);
      await writeConfig(dir, cfg);
      process.stdout.write(`registered app ${name} at ${path.resolve(p)} (wb cache scan updates "used by")\n`);
    });
  app
    .command('list')
    .alias('ls')
    .description('list registered apps')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const { readConfig } = await import('@workbench/modelcache');
      const cfg = await readConfig(await workspaceDir(cmd));
      if (opts.json) return printJson(cfg.apps);
      process.stdout.write(cfg.apps.length ? table(cfg.apps as unknown as Array<Record<string, unknown>>, [{ key: 'name', title: 'app' }, { key: 'path', title: 'path' }]) : 'no apps registered: wb cache app add NAME PATH\n');
    });
  app
    .command('remove <name>')
    .alias('rm')
    .description('forget a registered app (its files stay)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      const { readConfig, writeConfig } = await import('@workbench/modelcache');
      const dir = await workspaceDir(cmd);
      const cfg = await readConfig(dir);
      if (!cfg.apps.some((a) => a.name === name)) throw (await import('@workbench/core')).notFound('app', name, 'wb cache app list shows them');
      cfg.apps = cfg.apps.filter((a) => a.name !== name);
      await writeConfig(dir, cfg);
      process.stdout.write(`forgot app ${name}\n`);
    });

  cache
    .command('config')
    .description('where each store is and where that came from; set a store folder or add folders')
    .option('--set <store=path>', `set a store's folder (${KINDS.filter((k) => k !== 'folder').join(', ')})`)
    .option('--unset <store>', "forget a store's folder (back to the default)")
    .option('--add-folder <path>', 'scan this folder of model files too')
    .option('--remove-folder <path>', 'stop scanning this folder')
    .option('--json', 'print JSON')
    .action(async (opts: { set?: string; unset?: string; addFolder?: string; removeFolder?: string; json?: boolean }, cmd: Command) => {
      const { readConfig, writeConfig, resolveStores, configPath } = await import('@workbench/modelcache');
      const { invalid } = await import('@workbench/core');
      const path = await import('node:path');
      const dir = await workspaceDir(cmd);
      const cfg = await readConfig(dir);
      let changed = false;
      if (opts.set) {
        const eq = opts.set.indexOf('=');
        const k = opts.set.slice(0, eq);
        if (eq < 1 || !KINDS.includes(k) || k === 'folder') throw invalid(`--set ${opts.set}: expected STORE=PATH with STORE one of ${KINDS.filter((x) => x !== 'folder').join(', ')}`);
        cfg.stores[k as 'ollama'] = path.resolve(opts.set.slice(eq + 1));
        changed = true;
      }
      if (opts.unset) {
        delete cfg.stores[opts.unset as 'ollama'];
        changed = true;
      }
      if (opts.addFolder) {
        const abs = path.resolve(opts.addFolder);
        if (!cfg.folders.includes(abs)) cfg.folders.push(abs);
        changed = true;
      }
      if (opts.removeFolder) {
        cfg.folders = cfg.folders.filter((f) => f !== path.resolve(opts.removeFolder!));
        changed = true;
      }
      if (changed) await writeConfig(dir, cfg);
      const stores = resolveStores(cfg);
      if (opts.json) return printJson({ file: configPath(dir), config: cfg, stores });
      process.stdout.write(
        `settings: ${configPath(dir)}${changed ? ' (saved)' : ''}\n` +
          stores.map((s) => `  ${s.kind.padEnd(15)} ${s.root}  [${s.origin}${s.exists ? '' : ', not found'}]`).join('\n') +
          `\n${cfg.apps.length} app(s) registered (wb cache app list)\n`,
      );
    });
}

function describePlan(plan: { method: string; actions: Array<{ keep: string; replace: string; size: number }>; reclaimBytes: number; skipped: Array<{ path: string; reason: string }> }): string {
  if (plan.actions.length === 0 && plan.skipped.length === 0) return 'no identical files to link: nothing to reclaim\n';
  const lines = [`${plan.actions.length} file(s) can become ${plan.method === 'symlink' ? 'symbolic' : plan.method === 'reflink' ? 'copy-on-write' : 'hard'} links, reclaiming ${bytes(plan.reclaimBytes)}:`];
  for (const a of plan.actions.slice(0, 30)) lines.push(`  ${bytes(a.size).padStart(9)}  ${a.replace}\n             → ${a.keep}`);
  if (plan.actions.length > 30) lines.push(`  … and ${plan.actions.length - 30} more (--json lists all)`);
  for (const s of plan.skipped.slice(0, 20)) lines.push(`  skipped ${s.path}: ${s.reason}`);
  return lines.join('\n') + '\n';
}
