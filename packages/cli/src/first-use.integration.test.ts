// What a new user meets in the first minutes: the README's commands, typos and slips of the
// keyboard. Each case here was once wrong in a way a first-time user would notice.
import { appendFile, chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { tempDir } from '@workbench/core';
import { wb, wbJson, workspaceOf } from './testing/wb.js';

let home: string;
let dispose: () => Promise<void>;
beforeEach(async () => ({ dir: home, dispose } = await tempDir('wb-first-use-')));
afterEach(async () => dispose());

const csv = 'amount,hour,is_fraud\n12.5,3,0\n990,2,1\n40,14,0\n';

async function projectWithDataset(): Promise<void> {
  expect((await wb(home, ['project', 'create', 'fraud-detection'])).code).toBe(0);
  await writeFile(path.join(home, 'transactions.csv'), csv);
  expect((await wb(home, ['dataset', 'import', './transactions.csv', '--project', 'fraud-detection', '--name', 'transactions'])).code).toBe(0);
}

describe('first use', () => {
  test('dataset verify speaks plainly when intact, and fails with exit 10 when a stored file changed', async () => {
    await projectWithDataset();
    const ok = await wb(home, ['dataset', 'verify', 'transactions']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: transactions@1, 1 file \(\d+ B\) match sha256 [0-9a-f]{64}\n$/);

    const d = await wbJson<{ fingerprint: string }>(home, ['dataset', 'show', 'transactions']);
    const blob = path.join(workspaceOf(home), 'blobs', 'sha256', d.fingerprint.slice(0, 2), d.fingerprint.slice(2, 4), d.fingerprint);
    await chmod(blob, 0o644);
    await appendFile(blob, '1,1,1\n');
    const bad = await wb(home, ['dataset', 'verify', 'transactions']);
    expect(bad.code).toBe(10);
    expect(bad.stdout).toBe('changed: transactions.csv\n');
    expect(bad.stderr).toContain('does not match what was imported (0 missing, 1 changed)');
    expect(bad.stderr).toContain('hint: ');
    const json = await wb(home, ['dataset', 'verify', 'transactions', '--json']);
    expect(json.code).toBe(10);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, corrupt: ['transactions.csv'], missing: [] });

    // The hint's command puts the stored copy back from the original file.
    const repairCmd = /wb dataset repair (\w+)/.exec(bad.stderr);
    expect(repairCmd).not.toBeNull();
    const repaired = await wb(home, ['dataset', 'repair', repairCmd![1]!]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toBe('repaired: transactions.csv\n');
    expect((await wb(home, ['dataset', 'verify', 'transactions'])).code).toBe(0);
    expect((await wb(home, ['dataset', 'repair', 'transactions'])).stdout).toBe('ok: transactions@1 needs no repair (1 file match)\n');
  });

  test('dataset repair without the original says so and exits 10', async () => {
    await projectWithDataset();
    const d = await wbJson<{ fingerprint: string }>(home, ['dataset', 'show', 'transactions']);
    const blob = path.join(workspaceOf(home), 'blobs', 'sha256', d.fingerprint.slice(0, 2), d.fingerprint.slice(2, 4), d.fingerprint);
    await chmod(blob, 0o644);
    await writeFile(blob, 'damaged');
    await writeFile(path.join(home, 'transactions.csv'), 'edited since\n');
    const r = await wb(home, ['dataset', 'repair', 'transactions']);
    expect(r.code).toBe(10);
    expect(r.stdout).toContain(`not repaired: transactions.csv (${path.join(home, 'transactions.csv')} has changed since it was imported)`);
    expect(r.stderr).toContain('--from PATH');
  });

  test('a preview of a file the dataset does not have points at a command that exists', async () => {
    await projectWithDataset();
    const r = await wb(home, ['dataset', 'preview', 'transactions', '--file', '../../workbench.db']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('wb dataset show transactions@1');
    const rows = await wb(home, ['dataset', 'preview', 'transactions', '--rows', '0']);
    expect(rows.code).toBe(2);
    expect(rows.stderr).toContain("--rows must be a whole number from 1 to 1000, got '0'");
  });

  test('an empty --name is refused, not replaced by the file name', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    await writeFile(path.join(home, 'data.csv'), csv);
    const ds = await wb(home, ['dataset', 'import', 'data.csv', '--project', 'p', '--name', '']);
    expect(ds.code).toBe(2);
    expect(ds.stderr).toContain('--name is empty');
    expect(await wbJson(home, ['dataset', 'list'])).toEqual([]);
    const run = await wb(home, ['run', '--project', 'p', '--name', '', '--quiet', '--', process.execPath, '-e', '1']);
    expect(run.code).toBe(2);
    expect(await wbJson(home, ['run', 'list'])).toMatchObject({ total: 0 });
  });

  test('run list --where is not shadowed by wb -w (--workspace): no stray workspace is created', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect((await wb(home, ['run', '--project', 'p', '--param', 'lr=0.01', '--quiet', '--', process.execPath, '-e', '1'])).code).toBe(0);
    const help = await wb(home, ['run', 'list', '--help']);
    expect(help.stdout).toContain('--where <filter>');
    expect(help.stdout).not.toContain('-w, --where');
    const hits = await wbJson<{ total: number }>(home, ['run', 'list', '--where', 'param:lr>0.001']);
    expect(hits.total).toBe(1);
    expect((await readdir(home)).filter((f) => f.startsWith('param'))).toEqual([]);
  });

  test('usage mistakes exit 2 (bad input), as the README says; --help and --version exit 0', async () => {
    for (const args of [['frobnicate'], ['run', 'list', '--bogus'], ['run', 'show'], ['project']]) {
      const r = await wb(home, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.length, args.join(' ')).toBeGreaterThan(0);
    }
    expect((await wb(home, ['dataset', 'import', 'x.csv'])).stderr).toBe("error: required option '-p, --project <project>' not specified\n(wb dataset import --help lists its options)\n");
    expect((await wb(home, ['model', 'alias', 'frob'])).stderr).toContain('(wb model alias --help lists its commands)');
    expect((await wb(home, ['frobnicate'])).stderr).toContain('(wb --help lists the commands)');
    expect((await wb(home, ['--help'])).code).toBe(0);
    expect((await wb(home, ['run', '--help'])).code).toBe(0);
    expect((await wb(home, ['--version'])).code).toBe(0);
  });

  test('a mistyped run subcommand is named as such, not answered with "--project is required"', async () => {
    const typo = await wb(home, ['run', 'lst']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown command 'wb run lst'");
    expect(typo.stderr).toContain('did you mean wb run list?');
    const noProject = await wb(home, ['run', '--', 'python3', 'train.py']);
    expect(noProject.code).toBe(2);
    expect(noProject.stderr).toContain("required option '--project <project>' not specified");
    expect(noProject.stderr).toContain('hint: wb run --project P');
  });

  test('--param with an empty name is refused; a whole number past 2^53 keeps every digit', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const empty = await wb(home, ['run', '--project', 'p', '--param', ' =5', '--quiet', '--', process.execPath, '-e', '1']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('the name before');
    const big = '123456789012345678901234567890';
    const r = await wb(home, ['run', '--project', 'p', '--param', `seed=${big}`, '--param', 'lr=0.5', '--quiet', '--', process.execPath, '-e', 'console.log(process.env.WB_PARAMS)']);
    expect(r.code).toBe(0);
    const [run] = (await wbJson<{ runs: Array<{ params: Record<string, unknown> }> }>(home, ['run', 'list'])).runs;
    expect(run!.params).toEqual({ seed: big, lr: 0.5 });
  });

  test('model compare shows "-" for a metric or param a version never had, and NaN only for NaN', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const script = (metric: string, value: string, param: string) =>
      `import workbench as wb\nwb.log_param(${JSON.stringify(param)}, 1)\nwb.log_metric(${JSON.stringify(metric)}, float(${JSON.stringify(value)}), step=0)\nopen("model.pkl", "wb").write(b"m")\nwb.log_artifact("model.pkl", kind="model")\n`;
    const ids: string[] = [];
    for (const [file, metric, value, param] of [['a.py', 'loss', 'nan', 'layers'], ['b.py', 'acc', '0.5', 'depth']] as const) {
      await writeFile(path.join(home, file), script(metric, value, param));
      const r = await wb(home, ['run', '--project', 'p', '--json', '--', 'python3', file]);
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    for (const id of ids) expect((await wb(home, ['model', 'register', '--run', id, '--artifact', 'model.pkl', '--name', 'm'])).code).toBe(0);
    const out = (await wb(home, ['model', 'compare', 'm', '1', '2'])).stdout;
    expect(out).toMatch(/^acc +- +0\.5$/m);
    expect(out).toMatch(/^loss +NaN +-$/m);
    expect(out).toMatch(/^depth +- +1 +≠$/m);
    expect(out).toMatch(/^layers +1 +- +≠$/m);
  });

  test('an empty listing says why: the trash, the filters or the project, not always "nothing yet"', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect((await wb(home, ['run', 'list', '--project', 'p'])).stdout).toBe('no runs yet in p: start one with wb run --project p -- python3 train.py\n');
    expect((await wb(home, ['run', '--project', 'p', '--quiet', '--', process.execPath, '-e', '1'])).code).toBe(0);
    expect((await wb(home, ['run', 'list', '--deleted'])).stdout).toBe('the trash holds no runs\n');
    expect((await wb(home, ['run', 'list', '--status', 'failed'])).stdout).toBe('no runs match these filters\n');
    expect((await wb(home, ['run', 'list', '--offset', '5'])).stdout).toBe('no runs past --offset 5 (1 match)\n');
    expect((await wb(home, ['dataset', 'list', '--deleted'])).stdout).toBe('the trash holds no datasets\n');
    expect((await wb(home, ['dataset', 'list', '--project', 'p'])).stdout).toBe('no datasets yet in p: wb dataset import FILE --project p\n');
  });

  test('a workspace path that is a file gets a plain error, not an errno', async () => {
    await writeFile(path.join(home, 'notes.txt'), 'x');
    for (const ws of [path.join(home, 'notes.txt'), path.join(home, 'notes.txt', 'ws')]) {
      const r = await wb(home, ['project', 'list'], { env: { WB_HOME: ws } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`the workspace path ${ws} is a file, or lies under one, not a folder`);
      expect(r.stderr).toContain('hint: point WB_HOME or --workspace at a folder');
      expect(r.stderr).not.toMatch(/EEXIST|ENOTDIR/);
    }
  });

  test('a tag value with a newline is shown escaped on one line by wb run show', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect((await wb(home, ['run', '--project', 'p', '--tag', 'note=line one\nline two', '--quiet', '--', process.execPath, '-e', '1'])).code).toBe(0);
    const [run] = (await wbJson<{ runs: Array<{ id: string; tags: Record<string, string> }> }>(home, ['run', 'list'])).runs;
    expect(run!.tags.note).toBe('line one\nline two');
    expect((await wb(home, ['run', 'show', run!.id])).stdout).toContain('  note = line one\\nline two\n');
    // A terminal escape in a run name is shown, never sent to the terminal.
    const r = await wb(home, ['run', '--project', 'p', '--name', 'x\x1b[2Jy', '--quiet', '--json', '--', process.execPath, '-e', '1']);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const shown = (await wb(home, ['run', 'show', id])).stdout;
    expect(shown).toContain(`run ${id}  x\\x1b[2Jy  (p)`);
    expect(shown).not.toContain('\x1b');
    expect((await wb(home, ['run', 'list'])).stdout).not.toContain('\x1b');
  });

  test('wb run compare puts runs side by side, in a table and as JSON', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const log = (pairs: string) => `import workbench as wb\nfor k, v in [${pairs}]:\n    wb.log_metric(k, v, step=0)\n`;
    await writeFile(path.join(home, 'a.py'), log('("loss", 0.5), ("loss", 0.25)'));
    await writeFile(path.join(home, 'b.py'), log('("loss", 0.75), ("acc", float("nan"))'));
    const ids: string[] = [];
    for (const [name, file, lr] of [['small', 'a.py', '0.01'], ['big', 'b.py', '0.1']] as const) {
      const r = await wb(home, ['run', '--project', 'p', '--name', name, '--param', `lr=${lr}`, '--param', 'seed=1', '--json', '--', 'python3', file]);
      expect(r.code, r.stderr).toBe(0);
      ids.push((JSON.parse(r.stdout) as { id: string }).id);
    }
    const out = (await wb(home, ['run', 'compare', ...ids])).stdout;
    expect(out).toMatch(/^RUN +SMALL +BIG$/m);
    expect(out).toMatch(/^lr +0\.01 +0\.1 +≠$/m);
    expect(out).toMatch(/^seed +1 +1$/m);
    expect(out).toMatch(/^acc +- +NaN$/m);
    expect(out).toMatch(/^loss +0\.25 +0\.75$/m);
    expect((await wb(home, ['run', 'compare', ...ids, '--agg', 'max'])).stdout).toMatch(/^loss +0\.5 +0\.75$/m);
    const json = await wbJson<{ runs: Array<{ id: string }>; params: unknown[]; metrics: unknown[] }>(home, ['run', 'compare', ...ids.map((id) => id.slice(0, 16))]);
    expect(json.runs.map((r) => r.id)).toEqual(ids);
    expect(json.params).toEqual([{ key: 'lr', values: [0.01, 0.1], differs: true }, { key: 'seed', values: [1, 1], differs: false }]);
    expect(json.metrics).toEqual([{ key: 'acc', values: [null, 'NaN'] }, { key: 'loss', values: [0.25, 0.75] }]);
    const one = await wb(home, ['run', 'compare', ids[0]!]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain('compare takes 2 to 20 runs');
    expect((await wb(home, ['run', 'compare', ids[0]!, ids[1]!, '--agg', 'mean'])).code).toBe(2);
  });

  test('dataset import and project show count in words and line their lists up in columns', async () => {
    expect((await wb(home, ['project', 'create', 'fraud-detection'])).code).toBe(0);
    await writeFile(path.join(home, 'transactions.csv'), csv);
    const imported = await wb(home, ['dataset', 'import', './transactions.csv', '--project', 'fraud-detection', '--name', 'transactions']);
    expect(imported.stdout).toContain('into fraud-detection: 1 file, ');
    for (const name of ['a', 'longer-name']) expect((await wb(home, ['run', '--project', 'fraud-detection', '--name', name, '--quiet', '--', process.execPath, '-e', '1'])).code).toBe(0);
    const shown = (await wb(home, ['project', 'show', 'fraud-detection'])).stdout;
    expect(shown).toContain('  2 runs, 1 dataset\n');
    expect(shown).toMatch(/^ {2}DATASET +SHA256 +FILES +SIZE$/m);
    expect(shown).toMatch(/^ {2}transactions@1 +[0-9a-f]{12} +1 file +\d+ B$/m);
    const runLines = shown.slice(shown.indexOf('latest runs (2 of 2):')).split('\n').slice(1, 4);
    expect(runLines[0]).toMatch(/^ {2}ID +STATUS +NAME +CREATED$/);
    // Every row's name starts in the same column as the NAME header.
    const col = runLines[0]!.indexOf('NAME');
    expect(runLines.slice(1).map((l) => l.slice(col).split(' ')[0])).toEqual(['longer-name', 'a']);
  });

  test('small wording: plan hints fit their flag, --all asks for --key, a failed run states its exit code once', async () => {
    await writeFile(path.join(home, 'config.json'), JSON.stringify({ model_type: 'llama', hidden_size: 256, intermediate_size: 512, num_attention_heads: 4, num_key_value_heads: 2, num_hidden_layers: 2, vocab_size: 1000 }));
    const batch = await wb(home, ['plan', 'config.json', '--batch', '0']);
    expect(batch.code).toBe(2);
    expect(batch.stderr).toContain("--batch must be a positive whole number");
    expect(batch.stderr).toContain('hint: e.g. --batch 4\n');
    expect((await wb(home, ['plan', 'config.json', '--context', 'NaN'])).stderr).toContain('hint: e.g. --context 32k\n');

    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const r = await wb(home, ['run', '--project', 'p', '--json', '--', 'python3', '-c', 'import workbench as wb, sys; wb.log_metric("loss", 1.0); sys.exit(3)']);
    expect(r.code).toBe(1);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const all = await wb(home, ['run', 'metrics', id, '--all']);
    expect(all.code).toBe(2);
    expect(all.stderr).toContain(`hint: wb run metrics ${id} --key loss --all`);
    const shown = (await wb(home, ['run', 'show', id])).stdout;
    expect(shown).toMatch(/status {5}failed — exited with code 3\n/);
  });

  test('the README path: template run, register, promote, export and verify, with the counts the two commands print agreeing', async () => {
    expect((await wb(home, ['project', 'create', 'fraud-detection'])).code).toBe(0);
    const rows = ['amount,hour,is_fraud', ...Array.from({ length: 40 }, (_, i) => `${(i * 37) % 1000},${i % 24},${i % 3 === 0 ? 1 : 0}`)].join('\n') + '\n';
    await writeFile(path.join(home, 'transactions.csv'), rows);
    expect((await wb(home, ['dataset', 'import', './transactions.csv', '--project', 'fraud-detection', '--name', 'transactions'])).code).toBe(0);
    const run = await wb(home, ['run', '--project', 'fraud-detection', '--template', 'tabular-sklearn', '--dataset', 'transactions', '--param', 'target=is_fraud', '--param', 'folds=2', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const id = (JSON.parse(run.stdout) as { id: string }).id;
    expect((await wb(home, ['model', 'register', '--run', id, '--artifact', 'model.pkl', '--name', 'fraud-classifier'])).code).toBe(0);
    expect((await wb(home, ['model', 'promote', 'fraud-classifier', '1', '--to', 'production', '--reason', 'first'])).code).toBe(0);
    const exported = await wb(home, ['export', 'fraud-classifier@production', '--format', 'zip', '--out', 'bundle.zip']);
    expect(exported.code, exported.stderr).toBe(0);
    const files = /\((?:[\d.]+ \w+): (\d+) files and manifest\.json\)/.exec(exported.stdout)?.[1];
    expect(files, exported.stdout).toBeDefined();
    const verified = await wb(home, ['export', 'verify', 'bundle.zip']);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toBe(`ok: fraud-classifier@1, ${files} files match the manifest\n`);
    // -o is the same as --out (as in wb run artifact): the same bytes again.
    expect((await wb(home, ['export', 'fraud-classifier@1', '-o', 'again.zip'])).code).toBe(0);
    expect(await readFile(path.join(home, 'again.zip'))).toEqual(await readFile(path.join(home, 'bundle.zip')));
    // An existing folder receives the ZIP under its usual name.
    await mkdir(path.join(home, 'exports'));
    const intoDir = await wb(home, ['export', 'fraud-classifier@1', '--out', 'exports']);
    expect(intoDir.code, intoDir.stderr).toBe(0);
    expect(await readFile(path.join(home, 'exports', 'fraud-classifier-v1.zip'))).toEqual(await readFile(path.join(home, 'bundle.zip')));
  });

  test('wb gc says what --older-than left alone, and a dry run says what it would free', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect((await wb(home, ['project', 'delete', 'p'])).code).toBe(0);
    expect((await wb(home, ['gc', '--older-than', '3'])).stdout).toBe('nothing in the trash was deleted more than 3 days ago\nremoved 0 unreferenced blobs, freeing 0 B\n');
    const dry = (await wb(home, ['gc', '--dry-run'])).stdout;
    expect(dry).toMatch(/^would remove from the trash:\n {2}project p \(\w+\)\nwould remove 0 unreferenced blobs, which would free 0 B\n$/);
  });

  test('wb run artifact -o: a folder receives the file, the copy is writable, and copying again replaces it', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    await writeFile(path.join(home, 'log.py'), 'import workbench as wb\nopen("model.pkl", "wb").write(b"weights")\nwb.log_artifact("model.pkl", name="out/model.pkl")\n');
    const r = await wb(home, ['run', '--project', 'p', '--json', '--', 'python3', 'log.py']);
    expect(r.code, r.stderr).toBe(0);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    await mkdir(path.join(home, 'models'));
    for (const target of ['models', 'models/']) {
      const c = await wb(home, ['run', 'artifact', id, 'out/model.pkl', '-o', target]);
      expect(c.code, c.stderr).toBe(0);
    }
    const copy = path.join(home, 'models', 'model.pkl');
    expect(await readFile(copy, 'utf8')).toBe('weights');
    expect((await stat(copy)).mode & 0o200).toBe(0o200);
    const again = await wb(home, ['run', 'artifact', id, 'out/model.pkl', '--out', copy]);
    expect(again.stdout).toContain(', replacing the file that was there');
    expect((await readdir(path.join(home, 'models'))).sort()).toEqual(['model.pkl']);
    const underFile = await wb(home, ['run', 'artifact', id, 'out/model.pkl', '-o', path.join(home, 'log.py', 'x')]);
    expect(underFile.code).toBe(2);
    expect(underFile.stderr).toContain(`a file is in the way while writing ${path.join(home, 'log.py', 'x')}: ${path.join(home, 'log.py')}`);
    expect(underFile.stderr).not.toContain('looks like a bug');
  });

  test('every listing that filters by project takes -p as well as --project', async () => {
    for (const cmd of [['run', 'list'], ['dataset', 'list'], ['model', 'list'], ['model', 'webhook', 'add']]) {
      expect((await wb(home, [...cmd, '--help'])).stdout, cmd.join(' ')).toMatch(/-p, --project </);
    }
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect(await wbJson(home, ['model', 'list', '-p', 'p'])).toEqual([]);
  });

  test('wb run list shows the param and the metric summary it was sorted or filtered by', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    for (const [lr, losses] of [['0.1', '0.9, 0.2'], ['0.01', '0.5, 0.4']] as const) {
      const r = await wb(home, ['run', '--project', 'p', '--param', `lr=${lr}`, '--quiet', '--', 'python3', '-c', `import workbench as wb\nfor i, v in enumerate([${losses}]): wb.log_metric("loss", v, step=i)\nwb.log_metric("acc", 1.0)`]);
      expect(r.code, r.stderr).toBe(0);
    }
    const byParam = (await wb(home, ['run', 'list', '--sort', 'param:lr', '--asc'])).stdout.split('\n');
    expect(byParam[0]).toMatch(/ PARAM +METRIC$/);
    expect(byParam[1]).toMatch(/ lr=0\.01 +acc=1$/);
    expect(byParam[2]).toMatch(/ lr=0\.1 +acc=1$/);
    const byMin = (await wb(home, ['run', 'list', '--sort', 'metric:loss:min', '--asc'])).stdout.split('\n');
    expect(byMin[0]).not.toContain('PARAM');
    expect(byMin.slice(1, 3).map((l) => /loss min=\S+$/.exec(l)?.[0])).toEqual(['loss min=0.2', 'loss min=0.4']);
    const filtered = (await wb(home, ['run', 'list', '--where', 'metric:loss:max>0.6'])).stdout.split('\n');
    expect(filtered[1]).toMatch(/ loss max=0\.9$/);
  });

  test('wb run --quiet that fails shows the last lines of stderr, which it had hidden', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const r = await wb(home, ['run', '--project', 'p', '--quiet', '--', 'python3', '-c', 'import sys\nprint("noise")\nsys.exit("error: param epochs must be an integer >= 1")']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('wb: | error: param epochs must be an integer >= 1\n');
    expect(r.stderr).toMatch(/wb: the whole log: wb run logs \w+\n$/);
    const ok = await wb(home, ['run', '--project', 'p', '--quiet', '--', 'python3', '-c', 'import sys; sys.stderr.write("warning only\\n")']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).not.toContain('wb: |');
  });

  test('wb run logs that prints nothing says so on stderr, keeping stdout empty', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    const r = await wb(home, ['run', '--project', 'p', '--quiet', '--json', '--', 'python3', '-c', 'print("epoch 1")']);
    const id = (JSON.parse(r.stdout) as { id: string }).id;
    const none = await wb(home, ['run', 'logs', id, '--search', 'nan loss', '--stream', 'stdout']);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toBe(`no log lines on stdout containing 'nan loss' (wb run logs ${id} shows them all)\n`);
    const some = await wb(home, ['run', 'logs', id, '--search', 'epoch']);
    expect(some.stdout).toMatch(/ epoch 1\n$/);
    expect(some.stderr).toBe('');
    expect((await wb(home, ['run', 'logs', id, '--search', 'x', '--json'])).stderr).toBe('');
  });

  test('a run that was resumed shows its attempt and how to resume a failed one', async () => {
    expect((await wb(home, ['project', 'create', 'p'])).code).toBe(0);
    expect((await wb(home, ['run', '--project', 'p', '--quiet', '--', process.execPath, '-e', 'process.exit(3)'])).code).toBe(1);
    const [run] = (await wbJson<{ runs: Array<{ id: string }> }>(home, ['run', 'list'])).runs;
    const failed = await wb(home, ['run', 'show', run!.id]);
    expect(failed.stdout).toContain(`resume     wb run resume ${run!.id}`);
    expect(failed.stdout).not.toContain('attempt ');
    expect((await wb(home, ['run', 'resume', run!.id, '--quiet'])).code).toBe(1);
    expect((await wb(home, ['run', 'show', run!.id])).stdout).toMatch(/attempt {4}2 /);
  });
});
