import type { Command } from 'commander';
import { withWorkspace } from '../context.js';
import { intOption } from '../options.js';
import { ago, bytes, count, printJson, table } from '../output.js';

const collect = (v: string, prev: string[]) => prev.concat([v]);

export function registerDataset(program: Command): void {
  const dataset = program.command('dataset').description('import and inspect datasets');

  dataset
    .command('import <path>')
    .description('import a file or a folder into the workspace (content-addressed, deduplicated)')
    .requiredOption('-p, --project <project>', 'the project it belongs to')
    .option('-n, --name <name>', 'dataset name (default: the file or folder name)')
    .option('--json', 'print JSON')
    .action(async (src: string, opts: { project: string; name?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets, invalid } = await import('@workbench/core');
        // An empty --name (say, from an unset shell variable) must not quietly become the file name.
        if (opts.name !== undefined && opts.name.trim() === '') throw invalid('--name is empty', 'give the dataset a name, or leave --name out to use the file or folder name');
        const { DelayedBar } = await import('../progress.js');
        const bar = new DelayedBar('importing');
        let res;
        try {
          res = await new Datasets(ws).import(src, {
            project: opts.project,
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal, `${p.phase} ${p.filesDone}/${p.filesTotal} files`),
          });
        } finally {
          bar.stop();
        }
        if (opts.json) return printJson(res);
        const d = res.dataset;
        if (!res.created) {
          process.stdout.write(`unchanged: ${d.name}@${d.version} already holds this content (sha256 ${d.fingerprint}); nothing new stored\n`);
        } else {
          process.stdout.write(
            `imported ${d.name}@${d.version} into ${opts.project}: ${count(d.fileCount, 'file')}, ${bytes(d.size)}, sha256 ${d.fingerprint}\n` +
              (res.bytesStored < d.size ? `  ${bytes(d.size - res.bytesStored)} was already in the store (deduplicated)\n` : '') +
              `next: wb run --project ${opts.project} --dataset ${d.name} -- python3 train.py\n`,
          );
        }
      }),
    );

  dataset
    .command('list')
    .alias('ls')
    .description('list datasets (latest version of each name)')
    .option('-p, --project <project>', 'only this project')
    .option('--all-versions', 'every version')
    .option('--deleted', 'list the trash instead')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; allVersions?: boolean; deleted?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const list = await new Datasets(ws).list({ ...(opts.project ? { project: opts.project } : {}), deleted: opts.deleted ?? false, allVersions: opts.allVersions ?? false });
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write(opts.deleted ? 'the trash holds no datasets\n' : `no datasets yet${opts.project ? ` in ${opts.project}` : ''}: wb dataset import FILE --project ${opts.project ?? 'P'}\n`);
        process.stdout.write(
          table(
            list.map((d) => ({ ...d, ref: `${d.name}@${d.version}`, sizeH: bytes(d.size), fp: d.fingerprint.slice(0, 16), created: ago(d.createdAt) })),
            [
              { key: 'ref', title: 'dataset' },
              { key: 'kind', title: 'kind' },
              { key: 'fileCount', title: 'files', align: 'right' },
              { key: 'sizeH', title: 'size', align: 'right' },
              { key: 'fp', title: 'sha256' },
              { key: 'created', title: 'created' },
              { key: 'id', title: 'id' },
            ],
          ),
        );
      }),
    );

  dataset
    .command('show <ref>')
    .description('show a dataset (NAME, NAME@VERSION or id) and its files')
    .option('-p, --project <project>', 'the project, when the name is used in several')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { project?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const ds = new Datasets(ws);
        const d = await ds.get(ref, opts.project ? { project: opts.project } : {});
        const files = await ds.files(d.id);
        if (opts.json) return printJson({ ...d, files });
        const out = [
          `dataset ${d.name}@${d.version} (${d.id})`,
          `  kind         ${d.kind}`,
          `  fingerprint  sha256:${d.fingerprint}`,
          `  size         ${bytes(d.size)} in ${count(d.fileCount, 'file')}`,
          `  source       ${d.sourcePath}`,
          `  imported     ${d.createdAt}`,
          '',
          ...files.slice(0, 50).map((f) => `  ${f.sha256.slice(0, 12)}  ${bytes(f.size).padStart(9)}  ${f.path}`),
          files.length > 50 ? `  … and ${files.length - 50} more (--json lists all)` : '',
        ];
        process.stdout.write(out.join('\n').trimEnd() + '\n');
      }),
    );

  dataset
    .command('preview <ref>')
    .description('show the columns and first rows of a CSV, TSV, JSONL or Parquet dataset')
    .option('-p, --project <project>', 'the project, when the name is used in several')
    .option('-f, --file <path>', 'which file of a folder dataset')
    .option('-r, --rows <n>', 'rows to show', '10')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { project?: string; file?: string; rows: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const ds = new Datasets(ws);
        const d = await ds.get(ref, opts.project ? { project: opts.project } : {});
        const p = await ds.preview(d.id, { limit: intOption(opts.rows, '--rows', 1, 1000)!, ...(opts.file ? { file: opts.file } : {}) });
        if (opts.json) return printJson(p);
        const rows = p.rows.map((r) => Object.fromEntries(p.columns.map((c, i) => [c, typeof r[i] === 'object' && r[i] !== null ? JSON.stringify(r[i]) : r[i]])));
        process.stdout.write(`${p.file} (${p.format})\n` + table(rows, p.columns.map((c) => ({ key: c, title: c }))) + (p.truncated ? '…\n' : ''));
      }),
    );

  dataset
    .command('rm <ref>')
    .description('move a dataset (all versions, or NAME@VERSION) to the trash')
    .option('-p, --project <project>', 'the project, when the name is used in several')
    .action(async (ref: string, opts: { project?: string }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const ds = new Datasets(ws);
        const d = await ds.get(ref, opts.project ? { project: opts.project } : {});
        await ds.remove(ref.includes('@') || ref === d.id ? d.id : d.name, ...(opts.project ? [{ project: opts.project }] : []));
        process.stdout.write(`moved ${ref} to the trash (wb dataset restore ${d.id} brings it back; wb gc frees its space)\n`);
      }),
    );

  dataset
    .command('restore <ref>')
    .description('bring a dataset back from the trash')
    .action(async (ref: string, _opts: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        await new Datasets(ws).restore(ref);
        process.stdout.write(`restored ${ref}\n`);
      }),
    );

  dataset
    .command('verify <ref>')
    .description('re-hash a dataset\'s stored files and report anything missing or changed')
    .option('-p, --project <project>', 'the project, when the name is used in several')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { project?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const res = await new Datasets(ws).verify(ref, ...(opts.project ? [{ project: opts.project }] : []));
        const d = res.dataset;
        if (opts.json) printJson(res);
        else if (res.ok) process.stdout.write(`ok: ${d.name}@${d.version}, ${res.filesChecked} ${res.filesChecked === 1 ? 'file' : 'files'} (${bytes(res.bytesChecked)}) match sha256 ${d.fingerprint}\n`);
        else {
          const lines = [...res.missing.map((f) => `missing: ${f}`), ...res.corrupt.map((f) => `changed: ${f}`), ...(res.manifestOk ? [] : ['changed: the file list (manifest) no longer matches the fingerprint'])];
          process.stdout.write(lines.join('\n') + '\n');
        }
        if (!res.ok) {
          // Same exit status as `wb export verify`: scripts can tell damaged data from bad input.
          if (!opts.json) process.stderr.write(`error: ${d.name}@${d.version} does not match what was imported (${res.missing.length} missing, ${res.corrupt.length} changed)\nhint: its stored copy was changed or removed outside Workbench: do not train on it; put the stored files back from the original (${d.sourcePath}): wb dataset repair ${d.id}\n`);
          process.exitCode = 10;
        }
      }),
    );
  dataset
    .command('repair <ref>')
    .description("put back stored files that were changed or removed outside Workbench, from the originals (only files that hash to what was imported are used)")
    .option('-p, --project <project>', 'the project, when the name is used in several')
    .option('--from <path>', 'where the original file or folder is now (default: where it was imported from)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { project?: string; from?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Datasets } = await import('@workbench/core');
        const res = await new Datasets(ws).repair(ref, { ...(opts.project ? { project: opts.project } : {}), ...(opts.from ? { from: opts.from } : {}) });
        const d = res.dataset;
        if (opts.json) printJson(res);
        else if (res.repaired.length === 0 && res.failed.length === 0) process.stdout.write(`ok: ${d.name}@${d.version} needs no repair (${count(res.after.filesChecked, 'file')} match)\n`);
        else process.stdout.write([...res.repaired.map((f) => `repaired: ${f}`), ...res.failed.map((f) => `not repaired: ${f.path} (${f.reason})`)].join('\n') + '\n');
        if (!res.after.ok) {
          if (!opts.json) process.stderr.write(`error: ${d.name}@${d.version} is still damaged\nhint: find the original files and give their folder: wb dataset repair ${d.id} --from PATH\n`);
          process.exitCode = 10;
        }
      }),
    );
  void collect;
}
