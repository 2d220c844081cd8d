import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { withWorkspace } from '../context.js';
import { intOption, numberOption } from '../options.js';
import { bytes, count, printJson, table } from '../output.js';

export function registerTemplate(program: Command): void {
  const template = program.command('template').description('built-in training templates');
  template
    .command('list')
    .alias('ls')
    .description('list templates')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { listTemplates } = await import('@workbench/runner');
      const list = listTemplates();
      if (opts.json) return printJson(list);
      process.stdout.write(
        table(
          list.map((t) => ({ name: t.name, requires: t.requires.join(', '), params: Object.entries(t.params).map(([k, p]) => (p.required ? `${k}*` : k)).join(' '), description: t.description })),
          [
            { key: 'name', title: 'name' },
            { key: 'requires', title: 'needs' },
            { key: 'params', title: 'params (* required)' },
            { key: 'description', title: 'description' },
          ],
        ) + '\nrun one: wb run --project P --template NAME --dataset D --param target=COLUMN\n',
      );
    });
  template
    .command('show <name>')
    .description('show a template and its params')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { getTemplate } = await import('@workbench/runner');
      const t = getTemplate(name);
      if (opts.json) return printJson(t);
      process.stdout.write(
        [`${t.name}: ${t.description}`, `  needs: ${t.requires.join(', ') || 'nothing'}`, 'params:', ...Object.entries(t.params).map(([k, p]) => `  ${k}${p.required ? ' (required)' : p.default !== undefined ? ` (default ${JSON.stringify(p.default)})` : ''}: ${p.description}`)].join('\n') + '\n',
      );
    });
}

export function registerGc(program: Command): void {
  program
    .command('gc')
    .description('empty the trash for good and free the space of blobs nothing refers to')
    .option('--older-than <days>', 'only trash deleted more than this many days ago', '0')
    .option('--dry-run', 'say what would be removed, remove nothing')
    .option('--json', 'print JSON')
    .action(async (opts: { olderThan: string; dryRun?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { purge } = await import('@workbench/core');
        const olderThanDays = numberOption(opts.olderThan, '--older-than', 0) ?? 0;
        const res = await purge(ws, { olderThanDays, dryRun: opts.dryRun ?? false });
        if (opts.json) return printJson(res);
        const verb = opts.dryRun ? 'would remove' : 'removed';
        const items = [
          ...res.projects.map((p) => `  project ${p.name} (${p.id})`),
          ...res.runs.map((r) => `  run ${r.id} (${r.name})`),
          ...res.datasets.map((d) => `  dataset ${d.name}@${d.version} (${d.id})`),
          ...res.models.map((m) => `  model ${m.name} (${m.id}) with its versions`),
          ...res.modelVersions.map((v) => `  model version ${v.version} of ${v.modelId}`),
        ];
        process.stdout.write(
          (items.length ? `${verb} from the trash:\n${items.join('\n')}\n` : olderThanDays > 0 ? `nothing in the trash was deleted more than ${olderThanDays} days ago\n` : 'the trash is empty\n') +
            `${verb} ${count(res.blobsRemoved, 'unreferenced blob')}, ${opts.dryRun ? 'which would free' : 'freeing'} ${bytes(res.bytesFreed)}${res.blobsKept ? `; ${count(res.blobsKept, 'unreferenced blob')} written in the last 10 minutes kept (an import may be claiming them)` : ''}\n` +
            (res.hashCacheRowsRemoved ? `${opts.dryRun ? 'would forget' : 'forgot'} ${res.hashCacheRowsRemoved} remembered file hash(es) unused for 90 days\n` : ''),
        );
      }),
    );
}

export function registerWorkspace(program: Command): void {
  program
    .command('workspace')
    .description('where the workspace is and how big it is')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { schemaVersion, readServerInfo } = await import('@workbench/core');
        const dbBytes = (await stat(path.join(ws.dir, 'workbench.db')).catch(() => ({ size: 0 }))).size;
        const blobs = await ws.db.selectFrom('blobs').select((e) => [e.fn.countAll<number>().as('count'), e.fn.sum<number>('size').as('bytes')]).executeTakeFirstOrThrow();
        const server = await readServerInfo(ws);
        const info = { dir: ws.dir, workspaceId: await ws.workspaceId(), schemaVersion, databaseBytes: dbBytes, blobCount: Number(blobs.count), blobBytes: Number(blobs.bytes ?? 0), server: server ? server.url : null };
        if (opts.json) return printJson(info);
        process.stdout.write(
          [`workspace ${info.dir}`, `  schema     v${info.schemaVersion}`, `  database   ${bytes(info.databaseBytes)}`, `  blobs      ${info.blobCount} (${bytes(info.blobBytes)})`, `  server     ${info.server ?? 'not running (wb serve)'}`].join('\n') + '\n',
        );
      }),
    );
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the local server and web app on 127.0.0.1')
    .option('--port <port>', 'port (default $WB_PORT or 7878; 0 picks a free one)')
    .option('--json', 'print the address as one JSON line when ready')
    .action(async (opts: { port?: string; json?: boolean }, cmd: Command) => {
      const { resolveWorkspaceDir, readSettings } = await import('@workbench/core');
      const { startServer } = await import('@workbench/server');
      const settings = readSettings();
      const port = intOption(opts.port, '--port', 0, 65535) ?? settings.WB_PORT;
      const dir = resolveWorkspaceDir(cmd.optsWithGlobals<{ workspace?: string }>().workspace);
      // A terminal wants the address, not a JSON log line per request: warnings and errors only,
      // unless WB_LOG_LEVEL asks for more.
      const server = await startServer({ workspaceDir: dir, port, logLevel: process.env.WB_LOG_LEVEL ? settings.WB_LOG_LEVEL : 'warn' });
      if (opts.json) process.stdout.write(JSON.stringify({ url: server.url, tokenUrl: server.tokenUrl, port: server.port, workspace: dir }) + '\n');
      else process.stdout.write(`Workbench is running for ${dir}\n  web app:  ${server.tokenUrl}\n  API:      ${server.url}/api/v1  (token in ${path.join(dir, 'token')})\nPress Ctrl-C to stop.\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });
}
