import type { Command } from 'commander';
import { withWorkspace } from '../context.js';
import { ago, bytes, count, printJson, table } from '../output.js';

export function registerProject(program: Command): void {
  const project = program.command('project').description('create, list and manage projects');

  project
    .command('create <name>')
    .description('create a project')
    .option('-d, --description <text>', 'a short description', '')
    .option('--json', 'print the project as JSON')
    .action(async (name: string, opts: { description: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects } = await import('@workbench/core');
        const p = await new Projects(ws).create(name, opts.description);
        if (opts.json) printJson(p);
        else process.stdout.write(`created project ${p.name} (${p.id})\nnext: wb dataset import FILE --project ${p.name}   or   wb run --project ${p.name} -- python3 train.py\n`);
      }),
    );

  project
    .command('list')
    .alias('ls')
    .description('list projects')
    .option('--deleted', 'list the trash instead')
    .option('--json', 'print JSON')
    .action(async (opts: { deleted?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects } = await import('@workbench/core');
        const list = await new Projects(ws).list({ deleted: opts.deleted ?? false });
        if (opts.json) return printJson(list);
        if (list.length === 0) {
          process.stdout.write(opts.deleted ? 'the trash holds no projects\n' : 'no projects yet: wb project create NAME\n');
          return;
        }
        process.stdout.write(
          table(
            list.map((p) => ({ ...p, created: ago(p.createdAt), deleted: ago(p.deletedAt) })),
            [
              { key: 'name', title: 'name' },
              { key: 'runCount', title: 'runs', align: 'right' },
              { key: 'datasetCount', title: 'datasets', align: 'right' },
              { key: opts.deleted ? 'deleted' : 'created', title: opts.deleted ? 'deleted' : 'created' },
              { key: 'id', title: 'id' },
              { key: 'description', title: 'description' },
            ],
          ),
        );
      }),
    );

  project
    .command('show <name>')
    .description('show a project with its datasets and latest runs')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects, Runs, Datasets } = await import('@workbench/core');
        const p = await new Projects(ws).get(ref);
        const [runs, datasets] = await Promise.all([new Runs(ws).list({ project: p.id, limit: 10 }), new Datasets(ws).list({ project: p.id })]);
        if (opts.json) return printJson({ ...p, datasets, runs: runs.runs });
        const out = [`project ${p.name} (${p.id})`, p.description ? `  ${p.description}` : null, `  created ${p.createdAt}`, `  ${count(p.runCount ?? 0, 'run')}, ${count(p.datasetCount ?? 0, 'dataset')}`, ''];
        const indent = (text: string) => text.replace(/^/gm, '  ').trimEnd();
        if (datasets.length) {
          const rows = datasets.map((d) => ({ ref: `${d.name}@${d.version}`, sha: d.fingerprint.slice(0, 12), files: count(d.fileCount, 'file'), size: bytes(d.size) }));
          out.push('datasets:', indent(table(rows, [{ key: 'ref', title: 'dataset' }, { key: 'sha', title: 'sha256' }, { key: 'files', title: 'files', align: 'right' }, { key: 'size', title: 'size', align: 'right' }])), '');
        }
        if (runs.runs.length) {
          const rows = runs.runs.map((r) => ({ id: r.id, status: r.status, name: r.name, created: ago(r.createdAt) }));
          out.push(`latest runs (${runs.runs.length} of ${runs.total}):`, indent(table(rows, [{ key: 'id', title: 'id' }, { key: 'status', title: 'status' }, { key: 'name', title: 'name' }, { key: 'created', title: 'created' }])));
        }
        process.stdout.write(out.filter((l) => l !== null).join('\n') + '\n');
      }),
    );

  project
    .command('rename <name> <new-name>')
    .description('rename a project')
    .option('--json', 'print JSON')
    .action(async (ref: string, newName: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects } = await import('@workbench/core');
        const p = await new Projects(ws).rename(ref, newName);
        if (opts.json) printJson(p);
        else process.stdout.write(`renamed ${ref} to ${p.name}\n`);
      }),
    );

  project
    .command('delete <name>')
    .alias('rm')
    .description('move a project (and, with --force, its runs, datasets and registered models) to the trash')
    .option('-f, --force', 'delete even if it has runs')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { force?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects } = await import('@workbench/core');
        const p = await new Projects(ws).delete(ref, { force: opts.force ?? false });
        if (opts.json) printJson(p);
        else process.stdout.write(`moved project ${p.name} to the trash (wb project restore ${p.id} brings it back; wb gc frees its space for good)\n`);
      }),
    );

  project
    .command('restore <name-or-id>')
    .description('bring a project back from the trash')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Projects } = await import('@workbench/core');
        const p = await new Projects(ws).restore(ref);
        if (opts.json) printJson(p);
        else process.stdout.write(`restored project ${p.name}\n`);
      }),
    );
}
