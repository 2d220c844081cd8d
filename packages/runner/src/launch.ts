import type { Run } from '@workbench/api';
import { Datasets, Runs, readServerInfo, readSettings, type Workspace } from '@workbench/core';
import { pythonClientDir } from './paths.js';
import { Supervisor, type RunOutcome, type SuperviseOptions } from './supervisor.js';
import { findPython, getTemplate, resolveTemplateParams } from './templates.js';
import { invalid } from '@workbench/core';
import path from 'node:path';

export interface StartRunInput {
  project: string;
  name?: string;
  kind?: string;
  /** The command to run; or a template name. Exactly one. */
  command?: string[];
  template?: string;
  /** Dataset references: name, name@version or id. */
  datasets?: string[];
  params?: Record<string, unknown>;
  tags?: Record<string, string>;
  /** Working directory for a command (templates run in the run's output folder). */
  cwd?: string;
  graceMs?: number;
  onOutput?: SuperviseOptions['onOutput'];
  onEvent?: SuperviseOptions['onEvent'];
}

export interface PreparedRun {
  run: Run;
  supervisor: Supervisor;
  /** Start the process; resolves when the run has ended and its output is stored. */
  start: () => Promise<RunOutcome>;
}

export const envName = (name: string): string => 'WB_DATASET_' + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

/**
 * Everything between "the user asked for a run" and a supervised process: resolve the
 * template and datasets (so a typo fails before a run is recorded), create the run as
 * `queued`, build the child's environment.
 */
export async function prepareRun(ws: Workspace, input: StartRunInput): Promise<PreparedRun> {
  if (!!input.command?.length === !!input.template) {
    throw invalid(input.template ? 'give either a template or a command, not both' : 'nothing to run', 'wb run --project P -- python3 train.py, or wb run --project P --template tabular-sklearn');
  }
  const settings = readSettings();
  let command = input.command ?? [];
  let params = input.params ?? {};
  let templateDir: string | null = null;
  if (input.template) {
    const t = getTemplate(input.template);
    params = resolveTemplateParams(t, params);
    const python = findPython(t.requires);
    command = [python, path.join(t.dir, t.entry)];
    templateDir = t.dir;
  }
  const datasets = new Datasets(ws);
  const resolved = [];
  for (const ref of input.datasets ?? []) {
    const d = await datasets.get(ref, { project: input.project });
    resolved.push({ dataset: d, path: await datasets.materialize(d.id) });
  }
  if (input.template && resolved.length === 0) throw invalid(`template ${input.template} needs a dataset`, 'add --dataset NAME (import one with wb dataset import FILE --project P)');

  const runs = new Runs(ws);
  const run = await runs.create({
    project: input.project,
    ...(input.name !== undefined ? { name: input.name } : {}),
    kind: input.kind ?? 'train',
    command,
    template: input.template ?? null,
    cwd: input.cwd ?? null,
    params,
    tags: input.tags ?? {},
    datasets: resolved.map((r) => ({ datasetId: r.dataset.id, alias: r.dataset.name })),
  });

  const env: Record<string, string> = {
    WB_PROJECT: run.projectName ?? input.project,
    WB_PARAMS: JSON.stringify(params),
    WB_DATASETS: JSON.stringify(Object.fromEntries(resolved.map((r) => [r.dataset.name, r.path]))),
    PYTHONPATH: [pythonClientDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
  if (resolved[0]) env.WB_DATASET = resolved[0].path;
  for (const r of resolved) env[envName(r.dataset.name)] = r.path;
  if (templateDir) env.WB_TEMPLATE_DIR = templateDir;
  const server = await readServerInfo(ws);
  if (server) env.WB_SERVER_URL = server.url;

  const supervisor = new Supervisor(ws, run.id, {
    command,
    cwd: input.template ? ws.runDir(run.id) : (input.cwd ?? process.cwd()),
    env,
    graceMs: input.graceMs ?? settings.WB_CANCEL_GRACE_MS,
    ...(input.onOutput ? { onOutput: input.onOutput } : {}),
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
  });
  return { run, supervisor, start: () => supervisor.run() };
}
