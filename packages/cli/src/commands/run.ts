import { chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { LogLine, Run, RunStatus } from '@workbench/api';
import type { Workspace } from '@workbench/core';
import type { PreparedRun } from '@workbench/runner';
import { openWorkspace, withWorkspace } from '../context.js';
import { intOption } from '../options.js';
import { ago, bytes, commandLine, duration, num, printJson, table, visible } from '../output.js';

const collect = (v: string, prev: string[]) => prev.concat([v]);

const statusExit: Record<RunStatus, number> = { succeeded: 0, failed: 1, cancelled: 130, lost: 1, queued: 1, running: 1 };

function runDuration(r: Run): string {
  if (!r.startedAt) return '';
  const end = r.endedAt ? Date.parse(r.endedAt) : Date.now();
  return duration(end - Date.parse(r.startedAt));
}

function formatLog(l: LogLine): string {
  const t = new Date(l.ts).toISOString().slice(11, 23);
  const tag = l.stream === 'stdout' ? '' : l.stream === 'stderr' ? ' [stderr]' : l.stream === 'system' ? ' [wb]' : ` [${l.level.toLowerCase()}]`;
  return `${t}${tag} ${l.text}`;
}

/**
 * Run a prepared run in this process: Ctrl-C asks the process to stop (SIGTERM, then SIGKILL
 * after the grace period), a second Ctrl-C kills it at once; the run ends `cancelled` either
 * way. Returns the exit code for `wb` itself.
 */
async function superviseInForeground(ws: Workspace, prepared: PreparedRun, json: boolean, quiet = false): Promise<number> {
  const { Runs, readLogs } = await import('@workbench/core');
  const r = prepared.run;
  if (!json) process.stderr.write(`wb: run ${r.id} (${visible(r.name)}) in ${r.projectName}${r.attempt > 1 ? `, attempt ${r.attempt}` : ''}: ${visible(commandLine(r.command))}\n`);
  let interrupts = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    interrupts++;
    if (!json) process.stderr.write(interrupts === 1 ? `\nwb: ${sig}: cancelling run ${r.id} (again to kill it now)\n` : `\nwb: killing run ${r.id}\n`);
    prepared.supervisor.cancel(`cancelled by ${sig === 'SIGINT' ? 'Ctrl-C' : sig}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const outcome = await prepared.start();
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const done = await new Runs(ws).get(r.id);
  if (json) printJson(done);
  else {
    const metrics = (done.metrics ?? []).slice(0, 8).map((m) => `${visible(m.key)}=${num(m.last)}`).join('  ');
    process.stderr.write(`wb: run ${r.id} ${outcome.status}${outcome.reason ? ` (${outcome.reason})` : ''} after ${runDuration(done)}${metrics ? `  ${metrics}` : ''}\n`);
    if (quiet && outcome.status === 'failed') {
      // --quiet hid the process's output: show why it failed, where it usually says.
      const last = await readLogs(ws.db, r.id, { stream: 'stderr', tail: true, limit: 5 });
      if (last.length > 0) process.stderr.write(last.map((l) => `wb: | ${visible(l.text)}\n`).join('') + `wb: the whole log: wb run logs ${r.id}\n`);
    }
  }
  return statusExit[outcome.status];
}

const echo = (quiet: boolean | undefined) =>
  quiet ? {} : { onOutput: (stream: 'stdout' | 'stderr', text: string) => (stream === 'stdout' ? process.stdout : process.stderr).write(text + '\n') };

function graceMs(grace: string | undefined): { graceMs?: number } {
  if (grace === undefined) return {};
  const seconds = Number(grace);
  if (!(seconds >= 0 && seconds <= 3600)) throw Object.assign(new Error('--grace must be between 0 and 3600 seconds'), { code: 'INVALID_INPUT', exitCode: 2 });
  return { graceMs: seconds * 1000 };
}

/**
 * `start` is wb run's default, so a mistyped subcommand (`wb run lst`) arrives here as a command
 * to run: name the typo instead of asking for --project.
 */
function missingProject(command: string[], run: Command): Error {
  const usage = (message: string, hint: string) => Object.assign(new Error(message), { code: 'INVALID_INPUT', exitCode: 2, hint });
  const word = command[0];
  if (command.length > 0 && word !== undefined && /^[a-z][a-z-]*$/.test(word)) {
    const names = run.commands.flatMap((c) => [c.name(), ...c.aliases()]).filter((n) => n !== 'start' && n !== 'help');
    const near = names.filter((n) => editDistance(word, n) <= Math.min(2, Math.floor(n.length / 2)));
    if (near.length > 0) return usage(`unknown command 'wb run ${word}'`, `did you mean wb run ${near[0]}? (wb run --help lists them; to run a program called ${word}: wb run --project P -- ${word})`);
  }
  return usage("required option '--project <project>' not specified", 'wb run --project P -- python3 train.py (wb project list shows the projects; wb run --help lists the run commands)');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** Why `wb run list` printed nothing, and what to type next. */
function emptyRunList(opts: { project?: string; status?: string; name?: string; dataset?: string; where: string[]; offset: string; deleted?: boolean }, total: number): string {
  if (total > 0) return `no runs past --offset ${opts.offset} (${total} match)`;
  if (opts.deleted) return 'the trash holds no runs';
  if (opts.status || opts.name || opts.dataset || opts.where.length > 0) return `no runs match these filters${opts.project ? ` in ${opts.project}` : ''}`;
  return `no runs yet${opts.project ? ` in ${opts.project}` : ''}: start one with wb run --project ${opts.project ?? 'P'} -- python3 train.py`;
}

export function registerRun(program: Command): void {
  const run = program.command('run').description('start a supervised run (wb run --project P -- CMD…), or manage runs');

  run
    .command('start [command...]', { isDefault: true })
    .description('start a supervised run: wb run --project P [--dataset D] [--param k=v] -- python3 train.py')
    .option('-p, --project <project>', 'the project the run belongs to (required)')
    .option('-n, --name <name>', 'a name for the run (default run-N)')
    .option('-d, --dataset <ref>', 'a dataset the run reads (repeatable): NAME, NAME@VERSION or id', collect, [])
    .option('--param <key=value>', 'a parameter (repeatable); also passed to the process in WB_PARAMS', collect, [])
    .option('--tag <key=value>', 'a tag (repeatable)', collect, [])
    .option('-t, --template <name>', 'run a built-in template instead of a command (wb template list)')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL when cancelled')
    .option('-q, --quiet', "don't echo the process's output")
    .option('--json', 'print the finished run as JSON')
    .action(async (command: string[], opts: { project?: string; name?: string; dataset: string[]; param: string[]; tag: string[]; template?: string; grace?: string; quiet?: boolean; json?: boolean }, cmd: Command) => {
      if (!opts.project) throw missingProject(command, run);
      const { prepareRun, parseParamAssignments, parseTagAssignments } = await import('@workbench/runner');
      const ws = await openWorkspace(cmd);
      try {
        const prepared = await prepareRun(ws, {
          project: opts.project,
          ...(opts.name !== undefined ? { name: opts.name } : {}),
          ...(command.length ? { command } : {}),
          ...(opts.template ? { template: opts.template } : {}),
          datasets: opts.dataset,
          params: parseParamAssignments(opts.param),
          tags: parseTagAssignments(opts.tag),
          cwd: process.cwd(),
          ...graceMs(opts.grace),
          ...echo(opts.quiet || opts.json),
        });
        process.exitCode = await superviseInForeground(ws, prepared, opts.json ?? false, opts.quiet ?? false);
      } finally {
        await ws.close();
      }
    });

  run
    .command('resume <id>')
    .description('start the next attempt of a failed, cancelled or lost run (same command, params and datasets)')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL when cancelled')
    .option('-q, --quiet', "don't echo the process's output")
    .option('--json', 'print the finished run as JSON')
    .action(async (id: string, opts: { grace?: string; quiet?: boolean; json?: boolean }, cmd: Command) => {
      const { prepareResume } = await import('@workbench/runner');
      const ws = await openWorkspace(cmd);
      try {
        const prepared = await prepareResume(ws, id, { ...graceMs(opts.grace), ...echo(opts.quiet || opts.json) });
        process.exitCode = await superviseInForeground(ws, prepared, opts.json ?? false, opts.quiet ?? false);
      } finally {
        await ws.close();
      }
    });

  run
    .command('list')
    .alias('ls')
    .description('list runs, newest first')
    .option('-p, --project <project>', 'only this project')
    .option('-s, --status <list>', 'only these statuses, comma-separated (queued,running,succeeded,failed,cancelled,lost)')
    .option('--name <text>', 'name contains')
    .option('-d, --dataset <ref>', 'only runs that read this dataset (NAME, NAME@VERSION or id)')
    .option('--sort <by>', 'created, name, status, started, param:KEY, metric:KEY[:min|max|last]', 'created')
    .option('--asc', 'ascending order')
    // No -w: that is wb's own --workspace, which commander reads anywhere on the line.
    .option('--where <filter>', 'filter like param:lr>0.01 or metric:loss:min<0.2 (repeatable)', collect, [])
    .option('-l, --limit <n>', 'at most this many', '50')
    .option('--offset <n>', 'skip this many', '0')
    .option('--deleted', 'list the trash instead')
    .option('--json', 'print JSON (with params, tags and metric summaries)')
    .action(async (opts: { project?: string; status?: string; name?: string; dataset?: string; sort: string; asc?: boolean; where: string[]; limit: string; offset: string; deleted?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, Datasets, invalid } = await import('@workbench/core');
        const { runStatuses } = await import('@workbench/api');
        const datasetId = opts.dataset ? (await new Datasets(ws).get(opts.dataset, opts.project ? { project: opts.project } : {})).id : undefined;
        const status = opts.status ? opts.status.split(',').map((s) => s.trim()) : undefined;
        for (const s of status ?? []) if (!(runStatuses as readonly string[]).includes(s)) throw invalid(`unknown status '${s}'`, `use ${runStatuses.join(', ')}`);
        const { runs, total } = await new Runs(ws).list({
          ...(opts.project ? { project: opts.project } : {}),
          ...(status ? { status: status as RunStatus[] } : {}),
          ...(opts.name ? { name: opts.name } : {}),
          ...(datasetId ? { dataset: datasetId } : {}),
          sort: opts.sort,
          desc: !opts.asc,
          where: opts.where,
          limit: intOption(opts.limit, '--limit', 1, 10_000)!,
          offset: intOption(opts.offset, '--offset', 0, Number.MAX_SAFE_INTEGER)!,
          deleted: opts.deleted ?? false,
          details: true,
        });
        if (opts.json) return printJson({ runs, total });
        if (runs.length === 0) return void process.stdout.write(emptyRunList(opts, total) + '\n');
        // Show what the list was sorted or filtered by: that metric (and summary), that param.
        const FILTER_HEAD = /^(param|metric):([^<>=!]+?)(?::(last|min|max))?\s*(?:<=|>=|!=|=|<|>)/;
        const picks = [/^(param|metric):(.+?)(?::(last|min|max))?$/.exec(opts.sort), ...opts.where.map((w) => FILTER_HEAD.exec(w.trim()))];
        const metricPick = picks.find((m) => m?.[1] === 'metric');
        const paramKey = picks.find((m) => m?.[1] === 'param')?.[2];
        const metricKey = metricPick?.[2];
        const agg = (metricPick?.[3] ?? 'last') as 'last' | 'min' | 'max';
        process.stdout.write(
          table(
            runs.map((r) => {
              const m = metricKey ? r.metrics?.find((x) => x.key === metricKey) : r.metrics?.[0];
              const hasParam = paramKey !== undefined && Object.prototype.hasOwnProperty.call(r.params, paramKey);
              return {
                param: hasParam ? `${paramKey}=${typeof r.params[paramKey] === 'string' ? (r.params[paramKey] as string) : JSON.stringify(r.params[paramKey])}` : '',
                id: r.id,
                name: r.name,
                project: r.projectName,
                status: r.status + (r.status === 'running' && r.progress?.total ? ` ${Math.round((100 * r.progress.current) / r.progress.total)}%` : ''),
                created: ago(r.createdAt),
                took: runDuration(r),
                metric: m ? `${m.key}${metricKey && agg !== 'last' ? ` ${agg}` : ''}=${num(metricKey ? m[agg] : m.last)}` : '',
              };
            }),
            [
              { key: 'id', title: 'id' },
              { key: 'name', title: 'name' },
              { key: 'project', title: 'project' },
              { key: 'status', title: 'status' },
              { key: 'created', title: 'created' },
              { key: 'took', title: 'duration' },
              ...(paramKey !== undefined ? [{ key: 'param', title: 'param' }] : []),
              { key: 'metric', title: 'metric' },
            ],
          ) + (total > runs.length ? `(${runs.length} of ${total}; --limit/--offset for more)\n` : ''),
        );
      }),
    );

  run
    .command('show <id>')
    .description('show a run: status, params, metrics, datasets, artifacts')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, Artifacts } = await import('@workbench/core');
        const r = await new Runs(ws).get(id);
        const artifacts = await new Artifacts(ws).list(r.id);
        if (opts.json) return printJson({ ...r, artifacts });
        const lines = [
          `run ${r.id}  ${visible(r.name)}  (${r.projectName})`,
          `  status     ${r.status}${r.statusReason ? ` — ${r.statusReason}` : ''}${r.exitCode !== null && !r.statusReason?.includes(`code ${r.exitCode}`) ? ` (exit ${r.exitCode})` : ''}`,
          `  command    ${r.template ? `template ${r.template}: ` : ''}${visible(commandLine(r.command))}`,
          `  created    ${r.createdAt}`,
          r.startedAt ? `  started    ${r.startedAt}  (${runDuration(r)})` : null,
          r.attempt > 1 ? `  attempt    ${r.attempt} (earlier attempts' points stay: wb run metrics ${r.id} --key K --all)` : null,
          r.status === 'failed' || r.status === 'cancelled' || r.status === 'lost' ? `  resume     wb run resume ${r.id}` : null,
          r.progress ? `  progress   ${r.progress.current}${r.progress.total !== null ? ` / ${r.progress.total}` : ''}` : null,
          r.host ? `  host       ${r.host}` : null,
        ];
        if (Object.keys(r.params).length) lines.push('params:', ...Object.entries(r.params).map(([k, v]) => `  ${visible(k)} = ${JSON.stringify(v)}`));
        if (Object.keys(r.tags).length) lines.push('tags:', ...Object.entries(r.tags).map(([k, v]) => `  ${visible(k)} = ${visible(v)}`));
        if (r.datasets?.length) lines.push('datasets:', ...r.datasets.map((d) => `  ${d.name}@${d.version}  sha256:${d.fingerprint}`));
        if (r.metrics?.length) {
          lines.push('metrics:', table(r.metrics.map((m) => ({ key: m.key, last: num(m.last), min: num(m.min), max: num(m.max), step: m.lastStep, count: m.count })), [
            { key: 'key', title: 'key' },
            { key: 'last', title: 'last', align: 'right' },
            { key: 'min', title: 'min', align: 'right' },
            { key: 'max', title: 'max', align: 'right' },
            { key: 'step', title: 'step', align: 'right' },
            { key: 'count', title: 'points', align: 'right' },
          ]).replace(/^/gm, '  ').trimEnd());
        }
        if (artifacts.length) lines.push('artifacts:', ...artifacts.map((a) => `  ${a.name}  ${a.kind}  ${bytes(a.size)}  sha256:${a.sha256.slice(0, 16)}…`));
        process.stdout.write(lines.filter((l) => l !== null).join('\n') + '\n');
      }),
    );

  run
    .command('logs <id>')
    .description("print a run's log lines (stdout, stderr, events)")
    .option('-f, --follow', 'keep printing new lines until the run ends')
    .option('--stream <name>', 'only stdout, stderr, event or system')
    .option('--tail <n>', 'only the last N lines')
    .option('--search <text>', 'only lines containing this text')
    .option('--json', 'print JSON lines')
    .action(async (id: string, opts: { follow?: boolean; stream?: string; tail?: string; search?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, readLogs, isTerminal, invalid } = await import('@workbench/core');
        const { logStreams } = await import('@workbench/api');
        if (opts.stream && !(logStreams as readonly string[]).includes(opts.stream)) throw invalid(`unknown stream '${opts.stream}'`, `use ${logStreams.join(', ')}`);
        const runs = new Runs(ws);
        const r = await runs.get(id);
        const filter = { ...(opts.stream ? { stream: opts.stream as LogLine['stream'] } : {}), ...(opts.search ? { search: opts.search } : {}) };
        let printed = 0;
        const print = (lines: LogLine[]) => {
          printed += lines.length;
          process.stdout.write(lines.map((l) => (opts.json ? JSON.stringify(l) : formatLog(l))).join('\n') + (lines.length ? '\n' : ''));
        };
        let after = 0;
        if (opts.tail) {
          const lines = await readLogs(ws.db, r.id, { ...filter, tail: true, limit: intOption(opts.tail, '--tail', 1, 1_000_000) ?? 10 });
          print(lines);
          after = lines.at(-1)?.seq ?? (await readLogs(ws.db, r.id, { tail: true, limit: 1 })).at(-1)?.seq ?? 0;
        }
        for (;;) {
          for (;;) {
            const lines = await readLogs(ws.db, r.id, { ...filter, afterSeq: after, limit: 5000 });
            if (lines.length === 0) break;
            print(lines);
            after = lines.at(-1)!.seq;
          }
          if (!opts.follow) break;
          const status = (await runs.get(r.id)).status;
          if (isTerminal(status)) {
            const rest = await readLogs(ws.db, r.id, { ...filter, afterSeq: after, limit: 100_000 });
            print(rest);
            break;
          }
          await new Promise((res) => setTimeout(res, 200));
        }
        // Silence would read as "the command hung" or "the run logged nothing": say which (on stderr, so pipes stay clean).
        if (printed === 0 && !opts.json) {
          const what = [opts.stream ? `on ${opts.stream}` : '', opts.search ? `containing '${opts.search}'` : ''].filter(Boolean).join(' ');
          process.stderr.write(what ? `no log lines ${what} (wb run logs ${r.id} shows them all)\n` : `run ${r.id} has no log lines\n`);
        }
      }),
    );

  run
    .command('compare <ids...>')
    .description('runs side by side: status, params (≠ where they differ) and metric summaries')
    .option('--agg <which>', 'which summary of each metric: last, min or max', 'last')
    .option('--json', 'print JSON')
    .action(async (ids: string[], opts: { agg: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, invalid } = await import('@workbench/core');
        if (ids.length < 2 || ids.length > 20) throw invalid(`compare takes 2 to 20 runs, got ${ids.length}`, 'wb run compare ID1 ID2 … (ids or their first 4+ characters, from wb run list)');
        const agg = opts.agg;
        if (agg !== 'last' && agg !== 'min' && agg !== 'max') throw invalid(`--agg must be last, min or max, not '${agg}'`);
        const runs = await Promise.all(ids.map((id) => new Runs(ws).get(id)));
        const same = (values: unknown[]) => values.every((x) => JSON.stringify(x) === JSON.stringify(values[0]));
        const paramKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
        const metricKeys = [...new Set(runs.flatMap((r) => (r.metrics ?? []).map((m) => m.key)))].sort();
        // undefined: the run never recorded it (shown '-'); a NaN metric stays NaN.
        const params = paramKeys.map((key) => {
          const values = runs.map((r) => (Object.prototype.hasOwnProperty.call(r.params, key) ? r.params[key] : undefined));
          return { key, values, differs: !same(values) };
        });
        const metrics = metricKeys.map((key) => ({ key, values: runs.map((r) => r.metrics?.find((m) => m.key === key)?.[agg]) }));
        if (opts.json) {
          return printJson({
            runs: runs.map((r) => ({ id: r.id, name: r.name, project: r.projectName, status: r.status, attempt: r.attempt })),
            agg,
            params: params.map((p) => ({ ...p, values: p.values.map((v) => (v === undefined ? null : v)) })),
            // A summary is null only when the value was NaN (SQLite keeps NaN as NULL): write it as "NaN".
            metrics: metrics.map((m) => ({ ...m, values: m.values.map((v) => (v === undefined ? null : v === null ? Number.NaN : v)) })),
          });
        }
        const cols = (title: string) => [{ key: 'k', title }, ...runs.map((r, i) => ({ key: `r${i}`, title: r.name, align: 'right' as const })), { key: 'd', title: '' }];
        const row = (k: string, values: string[], differs: boolean) => ({ k: visible(k), ...Object.fromEntries(values.map((v, i) => [`r${i}`, v])), d: differs ? '≠' : '' });
        const out = [
          table([row('id', runs.map((r) => r.id), false), row('project', runs.map((r) => r.projectName ?? ''), !same(runs.map((r) => r.projectName ?? ''))), row('status', runs.map((r) => r.status), !same(runs.map((r) => r.status)))], cols('run')),
        ];
        if (params.length) out.push(table(params.map((p) => row(p.key, p.values.map((v) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v))), p.differs)), cols('param')));
        if (metrics.length) out.push(table(metrics.map((m) => row(m.key, m.values.map((v) => (v === undefined ? '-' : num(v))), false)), cols(`metric (${agg})`)));
        process.stdout.write(out.join('\n'));
      }),
    );

  run
    .command('metrics <id>')
    .description("a run's metric summaries, or one metric's points with --key")
    .option('-k, --key <key>', 'print the points of this metric')
    .option('--all', 'with --key: every stored point (all attempts), in arrival order')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { key?: string; all?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, readSeries, readRawSeries, notFound, invalid } = await import('@workbench/core');
        const { toWireNumber } = await import('@workbench/api');
        const r = await new Runs(ws).get(id);
        if (opts.all && !opts.key) throw invalid('--all lists the points of one metric: give it with --key', `wb run metrics ${r.id} --key ${r.metrics?.[0]?.key ?? 'loss'} --all`);
        if (!opts.key) {
          const ms = r.metrics ?? [];
          if (opts.json) return printJson(ms.map((m) => ({ ...m, last: m.last })));
          if (ms.length === 0) return void process.stdout.write('no metrics logged yet\n');
          process.stdout.write(table(ms.map((m) => ({ key: m.key, last: num(m.last), min: num(m.min), max: num(m.max), step: m.lastStep, count: m.count })), [
            { key: 'key', title: 'key' },
            { key: 'last', title: 'last', align: 'right' },
            { key: 'min', title: 'min', align: 'right' },
            { key: 'max', title: 'max', align: 'right' },
            { key: 'step', title: 'last step', align: 'right' },
            { key: 'count', title: 'points', align: 'right' },
          ]));
          return;
        }
        if (!(r.metrics ?? []).some((m) => m.key === opts.key)) throw notFound('metric', opts.key, `this run has: ${(r.metrics ?? []).map((m) => m.key).join(', ') || 'no metrics'}`);
        const c = opts.all ? await readRawSeries(ws.db, r.id, opts.key) : await readSeries(ws.db, r.id, opts.key);
        const points = Array.from(c.step, (step, i) => ({ step, value: c.value[i]!, attempt: c.attempt[i]!, seq: c.seq[i]!, ts: c.ts[i]! }));
        if (opts.json) return printJson(points.map((p) => ({ ...p, value: toWireNumber(p.value) })));
        process.stdout.write(table(points.map((p) => ({ step: p.step, value: num(p.value), attempt: p.attempt, seq: p.seq, time: new Date(p.ts).toISOString() })), [
          { key: 'step', title: 'step', align: 'right' },
          { key: 'value', title: 'value', align: 'right' },
          { key: 'attempt', title: 'attempt', align: 'right' },
          { key: 'seq', title: 'seq', align: 'right' },
          { key: 'time', title: 'time' },
        ]));
      }),
    );

  run
    .command('cancel <id>')
    .description('stop a run: SIGTERM, then SIGKILL after the grace period')
    .option('--json', 'print JSON')
    .option('--no-wait', 'return at once instead of waiting for the run to end')
    .action(async (id: string, opts: { json?: boolean; wait: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, isTerminal } = await import('@workbench/core');
        const runs = new Runs(ws);
        let r = await runs.requestCancel(id);
        if (opts.wait) {
          const deadline = Date.now() + 3_700_000;
          while (!isTerminal(r.status) && Date.now() < deadline) {
            await new Promise((res) => setTimeout(res, 100));
            r = await runs.get(r.id);
          }
        }
        if (opts.json) printJson(r);
        else process.stdout.write(isTerminal(r.status) ? `run ${r.id} ${r.status}\n` : `asked run ${r.id} to stop\n`);
      }),
    );

  run
    .command('rm <id>')
    .description('move an ended run to the trash')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs } = await import('@workbench/core');
        const r = await new Runs(ws).delete(id);
        process.stdout.write(`moved run ${r.id} to the trash (wb run restore ${r.id} brings it back)\n`);
      }),
    );

  run
    .command('restore <id>')
    .description('bring a run back from the trash')
    .action(async (id: string, _o: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs } = await import('@workbench/core');
        const r = await new Runs(ws).restore(id);
        process.stdout.write(`restored run ${r.id}\n`);
      }),
    );

  run
    .command('move <id> <project>')
    .description('move a run to another project')
    .action(async (id: string, project: string, _o: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs } = await import('@workbench/core');
        const r = await new Runs(ws).move(id, project);
        process.stdout.write(`moved run ${r.id} to ${r.projectName}\n`);
      }),
    );

  run
    .command('tag <id> <key=value...>')
    .description('set tags on a run')
    .action(async (id: string, pairs: string[], _o: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs } = await import('@workbench/core');
        const { parseTagAssignments } = await import('@workbench/runner');
        const r = await new Runs(ws).setTags(id, parseTagAssignments(pairs));
        process.stdout.write(`tagged run ${r.id}: ${Object.entries(r.tags).map(([k, v]) => `${k}=${v}`).join(' ')}\n`);
      }),
    );

  run
    .command('artifact <id> <name>')
    .description("copy one of a run's artifacts out of the workspace")
    .option('-o, --output <path>', 'where to write it: a file, or a folder to put it in (default: the artifact name in the current folder)')
    // --out as in wb export.
    .addOption(new Option('--out <path>', 'the same as --output').hideHelp())
    .action(async (id: string, name: string, opts: { output?: string; out?: string }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Runs, Artifacts, checkArtifactName, fromSystemError } = await import('@workbench/core');
        const r = await new Runs(ws).get(id);
        const a = await new Artifacts(ws).get(r.id, checkArtifactName(name));
        const target = opts.output ?? opts.out;
        let dest = path.resolve(target ?? a.name);
        // Like cp: an existing folder (or a path ending in /) receives the file under its own name.
        const existing = await stat(dest).catch(() => null);
        if (existing?.isDirectory() || (target !== undefined && /[/\\]$/.test(target))) dest = path.join(dest, path.basename(a.name));
        const replaced = existing?.isFile() || (await stat(dest).catch(() => null))?.isFile();
        try {
          await mkdir(path.dirname(dest), { recursive: true });
          // Stored blobs are read-only; the copy is the user's file to edit or overwrite, so it is
          // written fresh (their umask) and renamed into place.
          const tmp = `${dest}.wb-${process.pid}.tmp`;
          try {
            await copyFile(a.path, tmp);
            await chmod(tmp, 0o666 & ~process.umask());
            await rename(tmp, dest);
          } catch (err) {
            await rm(tmp, { force: true });
            throw err;
          }
        } catch (err) {
          throw fromSystemError(err, `writing ${dest}`);
        }
        process.stdout.write(`wrote ${dest} (${bytes(a.size)}, sha256 ${a.sha256})${replaced ? ', replacing the file that was there' : ''}\n`);
      }),
    );
}
