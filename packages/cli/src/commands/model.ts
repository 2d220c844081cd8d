import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Model, ModelStage, ModelVersion } from '@workbench/api';
import type { Workspace } from '@workbench/core';
import { withWorkspace } from '../context.js';
import { ago, bytes, num, printJson, table } from '../output.js';

function versionArg(s: string): number {
  const n = Number(s.replace(/^v/, ''));
  if (!Number.isInteger(n) || n < 1) throw Object.assign(new Error(`'${s}' is not a version number`), { code: 'INVALID_INPUT', exitCode: 2, hint: 'versions are numbered 1, 2, 3 …: see wb model versions NAME' });
  return n;
}

function revisionArg(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw Object.assign(new Error(`--if-revision takes a whole number, not '${s}'`), { code: 'INVALID_INPUT', exitCode: 2 });
  return n;
}

const stagesLine = (m: Model): string =>
  (['production', 'staging', 'draft', 'archived'] as const)
    .filter((s) => m.stages[s]?.length)
    .map((s) => `${s} ${m.stages[s]!.join(',')}`)
    .join('  ');

/**
 * Webhook deliveries are made by `wb serve` while it runs. Without a server, the CLI makes
 * one attempt right after the change; what fails stays in the outbox for the next command
 * (or the server) to retry with backoff.
 */
async function deliverWebhooksIfNoServer(ws: Workspace): Promise<void> {
  const { Webhooks, readServerInfo } = await import('@workbench/core');
  if (await readServerInfo(ws)) return;
  const hooks = new Webhooks(ws);
  const r = await hooks.deliverDue({ timeoutMs: 5000 });
  if (r.retrying > 0) process.stderr.write(`note: ${r.retrying} webhook delivery(ies) failed and will be retried (by wb serve, the next wb model command, or now: wb model webhook deliver)\n`);
  if (r.failed > 0) process.stderr.write(`warning: ${r.failed} webhook delivery(ies) gave up after repeated failures: wb model webhook list\n`);
}

function printVersion(v: ModelVersion): string {
  const l = v.lineage;
  const out = [
    `${v.modelName}@${v.version}  ${v.stage}${v.aliases.length ? `  aliases: ${v.aliases.join(', ')}` : ''}`,
    `  artifact  ${v.artifactName} (${v.format}, ${bytes(v.size)})  sha256 ${v.sha256}`,
    `  run       ${l.run.id} (${l.run.project}/${l.run.name}, ${l.run.status}${l.run.template ? `, template ${l.run.template}` : ''})`,
    `  code      ${l.code ? `${l.code.commit}${l.code.dirty ? ' (uncommitted changes)' : ''}` : 'not a git repository'}`,
    `  env       ${l.environment ? [`python ${l.environment.python ?? '?'}`, ...Object.entries(l.environment.packages).map(([k, x]) => `${k} ${x}`)].join(', ') : 'not reported'}`,
  ];
  if (l.datasets.length) out.push(`  datasets  ${l.datasets.map((d) => `${d.name}@${d.version} (${d.fingerprint.slice(0, 12)})`).join(', ')}`);
  if (l.metrics.length) out.push(`  metrics   ${l.metrics.map((m) => `${m.key}=${num(m.last)}`).join('  ')}`);
  if (Object.keys(l.params).length) out.push(`  params    ${Object.entries(l.params).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join('  ')}`);
  if (v.signature) out.push(`  inputs    ${v.signature.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape.map((d) => d ?? '?').join(',')}]${i.columns ? ` columns: ${i.columns.slice(0, 8).join(', ')}${i.columns.length > 8 ? ', …' : ''}` : ''}`).join('; ')}`);
  else out.push('  inputs    no signature recorded: requests are not validated');
  if (v.card) out.push('', ...v.card.split('\n').map((s) => '  ' + s));
  return out.join('\n') + '\n';
}

export function registerModel(program: Command): void {
  const model = program
    .command('model')
    .description('the model registry: versions, stages, aliases, lineage, cards')
    .addHelpText(
      'after',
      `
Stages: draft → staging → production → archived. A model has at most one production version:
promoting another moves the previous one to archived (or --previous staging).
An archived version goes back to draft or staging before it can serve again.
Protected transitions: a project can require a reason, or a second person's approval, for
production (wb model policy). With approval on, promote --to production creates a request that
someone else approves (wb model approvals, approve, reject, withdraw).
Who you are: --as NAME, else $WB_USER, else your login name. On one machine without team mode
this is a convention between colleagues, not a security boundary: team mode will authenticate it.`,
    );

  model
    .command('register')
    .description("register a run's artifact as a new version of a model (created if needed)")
    .requiredOption('--run <id>', 'the run that produced the model')
    .requiredOption('--artifact <name>', "the artifact's name in the run, e.g. model.onnx")
    .requiredOption('--name <model>', 'the model name')
    .option('--card <text>', 'a markdown description of this version')
    .option('--schema <file>', 'the input signature as JSON (default: the run\'s <artifact>.schema.json, else read from the ONNX graph)')
    .option('--json', 'print the version as JSON')
    .action(async (opts: { run: string; artifact: string; name: string; card?: string; schema?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models, readSignatureFile } = await import('@workbench/core');
        const { inferSignature } = await import('@workbench/ship');
        const signature = opts.schema ? await readSignatureFile(opts.schema, opts.schema) : undefined;
        const v = await new Models(ws).register({ runId: opts.run, artifact: opts.artifact, name: opts.name, ...(opts.card ? { card: opts.card } : {}), ...(signature ? { signature } : {}), inferSignature });
        if (opts.json) return printJson(v);
        process.stdout.write(`registered ${v.modelName} version ${v.version} (draft) from run ${v.lineage.run.id}\n`);
        if (!v.signature) process.stdout.write('note: no input signature: predictions will not be validated (pass --schema FILE)\n');
        process.stdout.write(`next: wb model promote ${v.modelName} ${v.version} --to staging   or   wb serve-model ${v.modelName}@${v.version}\n`);
      }),
    );

  model
    .command('list')
    .alias('ls')
    .description('list models')
    .option('-p, --project <name>', 'only this project\'s models')
    .option('--deleted', 'list the trash instead')
    .option('--json', 'print JSON')
    .action(async (opts: { project?: string; deleted?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const list = await new Models(ws).list({ ...(opts.deleted ? { deleted: true } : {}), ...(opts.project ? { project: opts.project } : {}) });
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write(opts.deleted ? 'the trash holds no models\n' : 'no models yet: wb model register --run RUN --artifact model.onnx --name NAME\n');
        process.stdout.write(
          table(
            list.map((m) => ({ ...m, stagesText: stagesLine(m), aliasesText: Object.entries(m.aliases).map(([a, v]) => `${a}→${v}`).join(' '), updated: ago(m.updatedAt) })),
            [
              { key: 'name', title: 'name' },
              { key: 'projectName', title: 'project' },
              { key: 'versionCount', title: 'versions', align: 'right' },
              { key: 'stagesText', title: 'stages' },
              { key: 'aliasesText', title: 'aliases' },
              { key: 'updated', title: 'updated' },
            ],
          ),
        );
      }),
    );

  model
    .command('show <ref>')
    .description('show a model (NAME) or one version (NAME@3, NAME@production, NAME@champion)')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const models = new Models(ws);
        if (ref.includes('@')) {
          const v = await models.version(ref);
          return opts.json ? printJson(v) : void process.stdout.write(printVersion(v));
        }
        const m = await models.get(ref);
        const versions = await models.versions(ref);
        if (opts.json) return printJson({ ...m, versions });
        const out = [`model ${m.name} (project ${m.projectName}, revision ${m.revision})`, `  ${stagesLine(m) || 'no versions'}`];
        if (Object.keys(m.aliases).length) out.push(`  aliases: ${Object.entries(m.aliases).map(([a, v]) => `${a} → ${v}`).join(', ')}`);
        if (m.card) out.push('', ...m.card.split('\n').map((s) => '  ' + s));
        out.push('');
        process.stdout.write(out.join('\n') + '\n');
        for (const v of versions.slice(-5).reverse()) process.stdout.write(printVersion(v) + '\n');
      }),
    );

  model
    .command('versions <name>')
    .description("list a model's versions")
    .option('--deleted', 'list deleted versions instead')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { deleted?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const versions = await new Models(ws).versions(name, opts.deleted ? { deleted: true } : {});
        if (opts.json) return printJson(versions);
        if (versions.length === 0) return void process.stdout.write(opts.deleted ? 'no deleted versions\n' : 'no versions\n');
        process.stdout.write(
          table(
            versions.map((v) => ({
              version: v.version,
              stage: v.stage,
              aliases: v.aliases.join(','),
              format: v.format,
              size: bytes(v.size),
              run: v.runId,
              metrics: v.lineage.metrics.slice(0, 3).map((m) => `${m.key}=${num(m.last)}`).join(' '),
              created: ago(v.createdAt),
            })),
            [
              { key: 'version', title: 'version', align: 'right' },
              { key: 'stage', title: 'stage' },
              { key: 'aliases', title: 'aliases' },
              { key: 'format', title: 'format' },
              { key: 'size', title: 'size', align: 'right' },
              { key: 'run', title: 'run' },
              { key: 'metrics', title: 'metrics' },
              { key: 'created', title: 'created' },
            ],
          ),
        );
      }),
    );

  const stageAction =
    (mode: 'promote' | 'demote' | 'archive') =>
    async (name: string, version: string, opts: { to?: ModelStage; reason?: string; previous?: 'archived' | 'staging'; ifRevision?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models, ModelApprovals, invalid } = await import('@workbench/core');
        const { modelStages } = await import('@workbench/api');
        const models = new Models(ws);
        const n = versionArg(version);
        let to = mode === 'archive' ? 'archived' : opts.to;
        if (mode === 'demote' && !to) to = (await models.version(`${name}@${n}`)).stage === 'production' ? 'staging' : 'draft';
        if (!to || !(modelStages as readonly string[]).includes(to)) throw invalid(`--to must be one of ${modelStages.join(', ')}`);
        if (opts.previous && opts.previous !== 'archived' && opts.previous !== 'staging') throw invalid('--previous must be archived or staging');
        if (to === 'production' && (await models.policy((await models.get(name)).projectId)).requireApprovalForProduction) {
          // The project wants a second person: this promotion becomes a request, the stage stays.
          const req = await new ModelApprovals(ws).request(name, n, { reason: opts.reason ?? '', ...(opts.previous ? { previous: opts.previous } : {}) });
          await deliverWebhooksIfNoServer(ws);
          if (opts.json) return printJson(req);
          process.stdout.write(
            [
              `approval requested: ${req.modelName}@${req.version} ${req.fromStage} → production (request ${req.id}, by ${req.requestedBy})`,
              `the project requires a second person's approval: ${req.modelName}@${req.version} stays ${req.fromStage} until someone else approves.`,
              `next (another person):  wb --as NAME model approve ${req.id} --reason "…"    or    wb model reject ${req.id} --reason "…"`,
              `take it back:           wb model withdraw ${req.id}`,
              '',
            ].join('\n'),
          );
          return;
        }
        // Optimistic concurrency: the change applies only if nobody changed the model since we read it.
        const ifRevision = revisionArg(opts.ifRevision) ?? (await models.get(name)).revision;
        const r = await models.changeStage(name, n, { to, ifRevision, ...(opts.reason ? { reason: opts.reason } : {}), ...(opts.previous ? { previous: opts.previous } : {}) });
        await deliverWebhooksIfNoServer(ws);
        if (opts.json) return printJson(r);
        process.stdout.write(`${r.transition}: ${r.version.modelName}@${r.version.version} ${r.from} → ${r.version.stage}\n`);
        for (const d of r.displaced) process.stdout.write(`  ${r.version.modelName}@${d.version} production → ${d.to}\n`);
      });

  model
    .command('promote <name> <version>')
    .description('move a version to another stage (promote, demote, archive or restore)')
    .requiredOption('--to <stage>', 'draft, staging, production or archived')
    .option('--reason <text>', 'why (recorded in the audit trail; a project can require it for production, and an approval request always needs it)')
    .option('--previous <stage>', 'what the current production version becomes: archived (default) or staging')
    .option('--if-revision <n>', 'apply only if the model is still at this revision (see wb model show)')
    .option('--json', 'print JSON')
    .action(stageAction('promote'));
  model
    .command('demote <name> <version>')
    .description('move a version down: production → staging, staging → draft (or --to)')
    .option('--to <stage>', 'the stage to move to')
    .option('--reason <text>', 'why')
    .option('--if-revision <n>', 'apply only if the model is still at this revision')
    .option('--json', 'print JSON')
    .action(stageAction('demote'));
  model
    .command('archive <name> <version>')
    .description('archive a version')
    .option('--reason <text>', 'why')
    .option('--if-revision <n>', 'apply only if the model is still at this revision')
    .option('--json', 'print JSON')
    .action(stageAction('archive'));

  const alias = model.command('alias').description('aliases (champion, challenger, …) that point at versions');
  alias
    .command('set <name> <alias> <version>')
    .description('point an alias at a version (created or moved atomically)')
    .option('--if-revision <n>', 'apply only if the model is still at this revision')
    .option('--json', 'print JSON')
    .action(async (name: string, a: string, version: string, opts: { ifRevision?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const ifRevision = revisionArg(opts.ifRevision);
        const r = await new Models(ws).setAlias(name, a, versionArg(version), ifRevision === undefined ? {} : { ifRevision });
        await deliverWebhooksIfNoServer(ws);
        if (opts.json) return printJson(r);
        process.stdout.write(r.previous === null ? `${name}@${a} → ${r.version}\n` : `${name}@${a} moved ${r.previous} → ${r.version}\n`);
      }),
    );
  alias
    .command('rm <name> <alias>')
    .alias('remove')
    .description('remove an alias')
    .action(async (name: string, a: string, _opts: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        await new Models(ws).removeAlias(name, a);
        await deliverWebhooksIfNoServer(ws);
        process.stdout.write(`removed ${name}@${a}\n`);
      }),
    );
  alias
    .command('list <name>')
    .alias('ls')
    .description("a model's aliases")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const m = await new Models(ws).get(name);
        if (opts.json) return printJson(m.aliases);
        const entries = Object.entries(m.aliases);
        process.stdout.write(entries.length ? entries.map(([a, v]) => `${a} → ${v}`).join('\n') + '\n' : `no aliases: wb model alias set ${m.name} champion VERSION\n`);
      }),
    );

  model
    .command('compare <name> <versions...>')
    .description('metrics and params of versions side by side, and what differs in their lineage')
    .option('--json', 'print JSON')
    .action(async (name: string, versions: string[], opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const models = new Models(ws);
        const c = await models.compare(name, versions.map(versionArg));
        if (opts.json) return printJson(c);
        // The comparison gives null both for "not recorded" and for a NaN metric or a null param:
        // ask each version what it has, so a metric one run never logged reads '-', not NaN.
        const lineages = await Promise.all(c.versions.map(async (v) => (await models.version(`${c.model}@${v}`)).lineage));
        const hasMetric = (i: number, key: string) => lineages[i]!.metrics.some((m) => m.key === key);
        const hasParam = (i: number, key: string) => Object.prototype.hasOwnProperty.call(lineages[i]!.params, key);
        const head = (title: string) => [{ key: 'k', title }, ...c.versions.map((v, i) => ({ key: `v${i}`, title: `v${v}`, align: 'right' as const })), { key: 'd', title: '' }];
        const rows = <T,>(items: Array<{ key?: string; field?: string; values: T[]; differs?: boolean }>, show: (x: T, i: number, key: string) => string) =>
          items.map((it) => ({ k: it.key ?? it.field, ...Object.fromEntries(it.values.map((x, i) => [`v${i}`, show(x, i, it.key ?? it.field ?? '')])), d: it.differs ? '≠' : '' }));
        const out: string[] = [];
        if (c.metrics.length) out.push(table(rows(c.metrics, (x, i, key) => (hasMetric(i, key) ? num(x) : '-')), head('metric')));
        if (c.params.length) out.push(table(rows(c.params, (x, i, key) => (!hasParam(i, key) ? '-' : typeof x === 'string' ? x : JSON.stringify(x))), head('param')));
        out.push(table(rows(c.lineage, (x) => x), head('lineage')));
        process.stdout.write(out.join('\n'));
      }),
    );

  model
    .command('card <name> [version]')
    .description("print or set the markdown card of a model (or of one version)")
    .option('--set <text>', 'replace the card with this text')
    .option('--file <path>', 'replace the card with this file\'s content')
    .option('--json', 'print JSON')
    .action(async (name: string, version: string | undefined, opts: { set?: string; file?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models, fromSystemError } = await import('@workbench/core');
        const models = new Models(ws);
        const v = version === undefined ? undefined : versionArg(version);
        let text = opts.set;
        if (opts.file) text = await readFile(opts.file, 'utf8').catch((err: unknown) => Promise.reject(fromSystemError(err, `reading ${opts.file}`)));
        if (text !== undefined) {
          await models.setCard(name, text, v);
          return void process.stdout.write(`card of ${name}${v ? `@${v}` : ''} updated (${text.length} characters)\n`);
        }
        const card = v === undefined ? (await models.get(name)).card : (await models.version(`${name}@${v}`)).card;
        if (opts.json) return printJson({ card });
        process.stdout.write(card ? card + (card.endsWith('\n') ? '' : '\n') : `no card yet: wb model card ${name}${v ? ` ${v}` : ''} --file CARD.md\n`);
      }),
    );

  model
    .command('history <name>')
    .description('the audit trail: registrations, stage and alias changes with who, when and why')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const events = await new Models(ws).history(name);
        if (opts.json) return printJson(events);
        for (const e of events) {
          const p = e.payload as Record<string, unknown>;
          const what =
            e.type === 'model.stage_changed'
              ? `v${p.version} ${p.from} → ${p.to}${p.reason ? ` (${p.reason})` : ''}`
              : e.type === 'model.alias_set'
                ? `${p.alias} → v${p.version}`
                : e.type.startsWith('approval.')
                  ? `v${p.version} request ${p.requestId}${e.type === 'approval.requested' ? ` (${p.reason})` : e.type === 'approval.stale' ? ` (${p.why})` : p.reason ? ` (${p.reason})` : ''}`
                  : p.version
                  ? `v${p.version}`
                  : '';
          process.stdout.write(`${e.ts}  ${e.actor.padEnd(16)}  ${e.type.replace('model.', '').padEnd(18)}  ${what}\n`);
        }
      }),
    );

  for (const [cmdName, desc, run] of [
    ['delete <name>', 'move a model and its versions to the trash (the name is free to reuse)', async (ws: Workspace, name: string) => void (await new (await import('@workbench/core')).Models(ws).delete(name))],
    ['restore <name>', 'bring a model back from the trash', async (ws: Workspace, name: string) => void (await new (await import('@workbench/core')).Models(ws).restore(name))],
  ] as const) {
    model
      .command(cmdName)
      .description(desc)
      .action(async (name: string, _opts: unknown, cmd: Command) =>
        withWorkspace(cmd, async (ws) => {
          await run(ws, name);
          process.stdout.write(`${cmdName.split(' ')[0] === 'delete' ? 'deleted' : 'restored'} model ${name}\n`);
        }),
      );
  }
  model
    .command('delete-version <name> <version>')
    .description('move one version to the trash (its aliases are removed)')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        await new Models(ws).deleteVersion(name, versionArg(version));
        await deliverWebhooksIfNoServer(ws);
        process.stdout.write(`deleted ${name}@${version}\n`);
      }),
    );
  model
    .command('restore-version <name> <version>')
    .description('bring a version back from the trash')
    .action(async (name: string, version: string, _opts: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const v = await new Models(ws).restoreVersion(name, versionArg(version));
        process.stdout.write(`restored ${name}@${v.version} (${v.stage})\n`);
      }),
    );

  model
    .command('policy <project>')
    .description("a project's rules for entering production")
    .option('--require-reason', 'require --reason to promote into production')
    .option('--no-require-reason', 'stop requiring a reason')
    .option('--require-approval', "promotions into production become requests a second person approves")
    .option('--no-require-approval', 'promote into production directly again (pending requests stay decidable)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
With approval required, wb model promote NAME V --to production --reason R creates a request;
another person runs wb model approve REQUEST (the promotion happens then), or wb model reject.
"Another person" compares the names behind --as / $WB_USER / your login name: on one machine
without team mode that is a convention, not a security boundary; team mode will authenticate it.`,
    )
    .action(async (project: string, opts: { requireReason?: boolean; requireApproval?: boolean; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const models = new Models(ws);
        const policy =
          opts.requireReason === undefined && opts.requireApproval === undefined
            ? await models.policy(project)
            : await models.setPolicy(project, { requireReasonForProduction: opts.requireReason, requireApprovalForProduction: opts.requireApproval });
        if (opts.json) return printJson(policy);
        process.stdout.write(
          `project ${project}: a reason is ${policy.requireReasonForProduction ? 'required' : 'not required'} to enter production\n` +
            `second-person approval: ${policy.requireApprovalForProduction ? 'required (wb model promote … --to production creates a request; wb model approvals lists them)' : 'not required'}\n`,
        );
      }),
    );

  model
    .command('approvals [name]')
    .description('approval requests for production: pending first, then decided ones')
    .option('--status <status>', 'only pending, approved, rejected, withdrawn or stale requests')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { status?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { ModelApprovals, invalid } = await import('@workbench/core');
        const { approvalStatuses } = await import('@workbench/api');
        if (opts.status !== undefined && !(approvalStatuses as readonly string[]).includes(opts.status)) throw invalid(`--status must be one of ${approvalStatuses.join(', ')}`);
        const list = await new ModelApprovals(ws).list({ ...(name ? { model: name } : {}), ...(opts.status ? { status: opts.status as (typeof approvalStatuses)[number] } : {}) });
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write(`no approval requests${name ? ` for ${name}` : ''}${opts.status ? ` that are ${opts.status}` : ''}\n`);
        process.stdout.write(
          table(
            list.map((r) => ({
              id: r.id,
              version: `${r.modelName}@${r.version}`,
              change: `${r.fromStage} → ${r.toStage}`,
              requested: `${r.requestedBy}, ${ago(r.requestedAt)}`,
              status: r.status,
              decided: r.decidedBy ? `${r.decidedBy}, ${ago(r.decidedAt!)}` : r.status === 'stale' ? ago(r.decidedAt!) : '',
              reason: (r.decisionReason ? `${r.reason} / ${r.decisionReason}` : r.reason).slice(0, 60),
            })),
            [
              { key: 'id', title: 'request' },
              { key: 'version', title: 'version' },
              { key: 'change', title: 'change' },
              { key: 'requested', title: 'requested by' },
              { key: 'status', title: 'status' },
              { key: 'decided', title: 'decided by' },
              { key: 'reason', title: 'reason / decision' },
            ],
          ),
        );
        const pending = list.filter((r) => r.status === 'pending');
        if (pending.length) process.stdout.write(`\nnext: wb model approve ${pending[0]!.id}   (someone other than ${pending[0]!.requestedBy})   or   wb model reject ${pending[0]!.id} --reason "…"\n`);
      }),
    );

  model
    .command('approve <request>')
    .description("approve someone else's request: the version enters production now (request id or a unique prefix)")
    .option('--reason <text>', 'a note for the audit trail')
    .option('--if-revision <n>', 'apply only if the model is still at this revision')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nYou cannot approve your own request. Who you are: --as NAME, $WB_USER, or your login name (a convention without team mode).')
    .action(async (request: string, opts: { reason?: string; ifRevision?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { ModelApprovals } = await import('@workbench/core');
        const ifRevision = revisionArg(opts.ifRevision);
        const d = await new ModelApprovals(ws).approve(request, { ...(opts.reason ? { reason: opts.reason } : {}), ...(ifRevision === undefined ? {} : { ifRevision }) });
        await deliverWebhooksIfNoServer(ws);
        if (opts.json) return printJson(d);
        const r = d.request;
        process.stdout.write(`approved request ${r.id} (asked by ${r.requestedBy}, approved by ${r.decidedBy})\n`);
        if (d.change) {
          process.stdout.write(`${d.change.transition}: ${r.modelName}@${r.version} ${d.change.from} → ${d.change.version.stage}\n`);
          for (const x of d.change.displaced) process.stdout.write(`  ${r.modelName}@${x.version} production → ${x.to}\n`);
        }
      }),
    );

  model
    .command('reject <request>')
    .description("turn down someone else's request; the version keeps its stage")
    .requiredOption('--reason <text>', 'what is missing (the requester reads it)')
    .option('--json', 'print JSON')
    .action(async (request: string, opts: { reason: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { ModelApprovals } = await import('@workbench/core');
        const d = await new ModelApprovals(ws).reject(request, { reason: opts.reason });
        await deliverWebhooksIfNoServer(ws);
        if (opts.json) return printJson(d);
        process.stdout.write(`rejected request ${d.request.id}: ${d.request.modelName}@${d.request.version} stays ${d.request.fromStage}\n`);
      }),
    );

  model
    .command('withdraw <request>')
    .description('take back your own request')
    .option('--reason <text>', 'why')
    .option('--json', 'print JSON')
    .action(async (request: string, opts: { reason?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { ModelApprovals } = await import('@workbench/core');
        const d = await new ModelApprovals(ws).withdraw(request, opts.reason ? { reason: opts.reason } : {});
        await deliverWebhooksIfNoServer(ws);
        if (opts.json) return printJson(d);
        process.stdout.write(`withdrew request ${d.request.id} (${d.request.modelName}@${d.request.version} → production)\n`);
      }),
    );

  const webhook = model.command('webhook').description('HTTP POSTs of stage, alias and approval events, signed with HMAC-SHA256');
  webhook
    .command('add <url>')
    .description('POST every stage, alias and approval event (of one project, or of the whole workspace) to URL')
    .option('-p, --project <name>', 'only this project\'s models (default: every project)')
    .option('--secret <secret>', 'the HMAC key (default: a new random one, printed once)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Each delivery is a POST of the event JSON with X-Workbench-Signature: sha256=<hex HMAC of the body>.
A failed delivery is retried with exponential backoff (1 s, 2 s, 4 s … up to 10 attempts) from a
durable outbox in the workspace: wb serve delivers while it runs; without a server, each wb model
command makes one attempt, and wb model webhook deliver retries what is due.`,
    )
    .action(async (url: string, opts: { project?: string; secret?: string; json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Webhooks, Projects } = await import('@workbench/core');
        const projectId = opts.project ? (await new Projects(ws).resolve(opts.project)).id : null;
        const r = await new Webhooks(ws).add(url, { projectId, ...(opts.secret ? { secret: opts.secret } : {}) });
        if (opts.json) return printJson(r);
        process.stdout.write(`webhook ${r.webhook.id} → ${r.webhook.url}${opts.project ? ` (project ${opts.project})` : ''}\n`);
        if (!opts.secret) process.stdout.write(`secret (shown once, keep it to check signatures): ${r.secret}\n`);
      }),
    );
  webhook
    .command('list')
    .alias('ls')
    .description('webhooks and their deliveries')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Webhooks } = await import('@workbench/core');
        const list = await new Webhooks(ws).list();
        if (opts.json) return printJson(list);
        if (list.length === 0) return void process.stdout.write('no webhooks: wb model webhook add URL\n');
        process.stdout.write(table(list.map((w) => ({ ...w, scope: w.projectId ?? 'workspace' })), [
          { key: 'id', title: 'id' },
          { key: 'url', title: 'url' },
          { key: 'scope', title: 'scope' },
          { key: 'delivered', title: 'delivered', align: 'right' },
          { key: 'pending', title: 'pending', align: 'right' },
          { key: 'failed', title: 'failed', align: 'right' },
        ]));
      }),
    );
  webhook
    .command('rm <id>')
    .alias('remove')
    .description('remove a webhook (its pending deliveries are dropped)')
    .action(async (id: string, _opts: unknown, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Webhooks } = await import('@workbench/core');
        await new Webhooks(ws).remove(id);
        process.stdout.write(`removed webhook ${id}\n`);
      }),
    );
  webhook
    .command('deliver')
    .description('attempt the deliveries that are due now')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) =>
      withWorkspace(cmd, async (ws) => {
        const { Webhooks } = await import('@workbench/core');
        const r = await new Webhooks(ws).deliverDue();
        if (opts.json) return printJson(r);
        process.stdout.write(`delivered ${r.delivered}, to retry ${r.retrying}, given up ${r.failed}\n`);
      }),
    );
}
