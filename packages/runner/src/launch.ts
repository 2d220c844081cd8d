import type { Run } from '@workbench/api';
import path from 'node:path';
import { Datasets, Runs, UserError, invalid, readServerInfo, readSettings, type Workspace } from '@workbench/core';
import { gitInfo } from './git-info.js';
import { pythonClientDir } from './paths.js';
import { Supervisor, type RunOutcome, type SuperviseOptions } from './supervisor.js';
import { findPython, getTemplate, resolveTemplateParams } from './templates.js';

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
  // The folder is stored with the run and reused by resume, possibly from another process:
  // a relative one would mean a different folder there.
  if (input.cwd !== undefined && !path.isAbsolute(input.cwd)) throw invalid(`the working folder '${input.cwd}' is not an absolute path`, 'give the absolute path of a folder on the machine that runs it');
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

  // The code version goes into the run's tags (and from there into a registered model's lineage).
  const git = await gitInfo(templateDir ?? input.cwd ?? process.cwd());
  const gitTags: Record<string, string> = git ? { 'git.commit': git.commit, 'git.dirty': String(git.dirty) } : {};
  const runs = new Runs(ws);
  const run = await runs.create({
    project: input.project,
    ...(input.name !== undefined ? { name: input.name } : {}),
    kind: input.kind ?? 'train',
    command,
    template: input.template ?? null,
    cwd: input.cwd ?? null,
    params,
    tags: { ...gitTags, ...(input.tags ?? {}) },
    datasets: resolved.map((r) => ({ datasetId: r.dataset.id, alias: r.dataset.name })),
  });
  return supervise(ws, run, { ...input, command, params, datasets: resolved.map((r) => ({ name: r.dataset.name, path: r.path })), templateDir });
}

export interface ResumeInput {
  graceMs?: number;
  onOutput?: SuperviseOptions['onOutput'];
  onEvent?: SuperviseOptions['onEvent'];
}

/**
 * Start the next attempt of a run that failed, was cancelled or was lost: the same command,
 * params and datasets, `WB_ATTEMPT` one higher. Points it logs are stored under the new
 * attempt, so steps it repeats (a restart from a checkpoint) win over the old ones in reads.
 */
export async function prepareResume(ws: Workspace, ref: string, input: ResumeInput = {}): Promise<PreparedRun> {
  const runs = new Runs(ws);
  const before = await runs.get(ref);
  if (before.status === 'succeeded') throw new UserError('CONFLICT', `run ${before.id} succeeded; there is nothing to resume`, { hint: 'start a new run instead' });
  let templateDir: string | null = null;
  if (before.template) templateDir = getTemplate(before.template).dir;
  const datasets = new Datasets(ws);
  const resolved = [];
  for (const d of before.datasets ?? []) resolved.push({ name: d.name, path: await datasets.materialize(d.id) });
  const run = await runs.transition(before.id, 'queued', { reason: `resumed as attempt ${before.attempt + 1}` });
  return supervise(ws, run, {
    ...input,
    project: run.projectName ?? run.projectId,
    command: run.command,
    params: run.params,
    datasets: resolved,
    templateDir,
    ...(run.template ? { template: run.template } : {}),
    ...(run.cwd ? { cwd: run.cwd } : {}),
  });
}

/** The child's environment (docs/run-protocol.md) and its supervisor, for a queued run. */
async function supervise(
  ws: Workspace,
  run: Run,
  input: Omit<StartRunInput, 'datasets'> & { command: string[]; params: Record<string, unknown>; datasets: Array<{ name: string; path: string }>; templateDir: string | null },
): Promise<PreparedRun> {
  const settings = readSettings();
  const env: Record<string, string> = {
    WB_PROJECT: run.projectName ?? input.project,
    WB_PARAMS: JSON.stringify(input.params),
    WB_DATASETS: JSON.stringify(Object.fromEntries(input.datasets.map((d) => [d.name, d.path]))),
    PYTHONPATH: [pythonClientDir, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
  };
  if (input.datasets[0]) env.WB_DATASET = input.datasets[0].path;
  for (const d of input.datasets) env[envName(d.name)] = d.path;
  if (input.templateDir) env.WB_TEMPLATE_DIR = input.templateDir;
  const server = await readServerInfo(ws);
  if (server) env.WB_SERVER_URL = server.url;

  const supervisor = new Supervisor(ws, run.id, {
    command: input.command,
    cwd: input.template ? ws.runDir(run.id) : (input.cwd ?? process.cwd()),
    env,
    graceMs: input.graceMs ?? settings.WB_CANCEL_GRACE_MS,
    ...(input.onOutput ? { onOutput: input.onOutput } : {}),
    ...(input.onEvent ? { onEvent: input.onEvent } : {}),
  });
  return { run, supervisor, start: () => supervisor.run() };
}
