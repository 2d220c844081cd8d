import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ApprovalRequest, ModelStage, ModelVersion } from '@workbench/api';
import { Download, GitCompareArrows, Pencil, Tag } from 'lucide-react';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ErrorState, Modal, PageHeader, Section, SkeletonRows, FormError } from '../components/ui';
import { api, describeError } from '../lib/api';
import { formatBytes, formatNumber, formatValue, shortHash, timeAgo } from '../lib/format';
import { toast } from '../lib/toast';
import { ActingAsField, ApprovalBadge, ApprovalsSection, DecisionDialog, actingAs, useActingAs } from './ModelApprovals';
import { StageBadge } from './Models';

// The same table as the registry's stage machine (packages/core/src/models/stage-machine.ts).
const NEXT: Record<ModelStage, ModelStage[]> = {
  draft: ['staging', 'production', 'archived'],
  staging: ['production', 'draft', 'archived'],
  production: ['staging', 'archived'],
  archived: ['draft', 'staging'],
};
const RANK: Record<ModelStage, number> = { archived: -1, draft: 0, staging: 1, production: 2 };
const verb = (from: ModelStage, to: ModelStage) => (to === 'archived' ? 'Archive' : from === 'archived' ? 'Restore' : RANK[to] > RANK[from] ? 'Promote' : 'Demote');

function StageDialog({ name, v, to, revision, approvalRequired, onClose }: { name: string; v: ModelVersion; to: ModelStage; revision: number; approvalRequired: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [actor, setActor] = useActingAs();
  // Where the project wants a second person, entering production becomes a request.
  const asks = approvalRequired && to === 'production';
  const done = () => {
    void qc.invalidateQueries({ queryKey: ['model', name] });
    void qc.invalidateQueries({ queryKey: ['models'] });
    onClose();
  };
  const change = useMutation({
    mutationFn: () => api().changeModelStage(name, v.version, { to, ifRevision: revision, ...(reason.trim() ? { reason: reason.trim() } : {}) }, actingAs(actor)),
    onSuccess: (r) => {
      toast(`${name} v${v.version}: ${r.from} → ${r.version.stage}`, { kind: 'success', ...(r.displaced.length ? { description: r.displaced.map((d) => `v${d.version} production → ${d.to}`).join(', ') } : {}) });
      done();
    },
  });
  const ask = useMutation({
    mutationFn: () => api().requestModelApproval(name, v.version, { reason: reason.trim() }, actingAs(actor)),
    onSuccess: (r) => {
      toast(`Asked for approval of ${name} v${v.version}`, { kind: 'success', description: `Request ${r.id}: someone other than ${r.requestedBy} approves it (here, or wb model approve ${r.id})` });
      done();
    },
  });
  const action = asks ? ask : change;
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={asks ? `Ask for approval to put version ${v.version} into production?` : `${verb(v.stage, to)} version ${v.version} to ${to}?`}
      description={
        asks
          ? `Project rule: a second person approves entering production. Version ${v.version} stays ${v.stage} until someone else approves the request.`
          : to === 'production'
            ? 'The current production version, if any, is archived in the same step. The reason goes into the audit trail.'
            : 'The change and its reason go into the audit trail.'
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!asks || reason.trim()) action.mutate();
        }}
      >
        {asks && (
          <div className="mb-3">
            <ActingAsField id="stage-actor" value={actor} onChange={setActor} />
          </div>
        )}
        <label className="label" htmlFor="stage-reason">
          Reason {asks ? '(required: the approver reads it)' : to === 'production' ? '(a project can require one)' : '(optional)'}
        </label>
        <input id="stage-reason" className="input" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="better recall on last week's data" autoFocus />
        <FormError error={action.error} />
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Keep it
          </button>
          <button type="submit" className="btn btn-primary" disabled={action.isPending || (asks && !reason.trim())} data-testid="confirm-stage">
            {action.isPending ? 'Working…' : asks ? 'Ask for approval' : `${verb(v.stage, to)} to ${to}`}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function AliasDialog({ name, v, onClose }: { name: string; v: ModelVersion; onClose: () => void }) {
  const qc = useQueryClient();
  const [alias, setAlias] = useState('champion');
  const set = useMutation({
    mutationFn: () => api().setModelAlias(name, alias.trim(), v.version),
    onSuccess: (r) => {
      toast(r.previous === null ? `${alias} → v${r.version}` : `${alias} moved v${r.previous} → v${r.version}`, { kind: 'success' });
      void qc.invalidateQueries({ queryKey: ['model', name] });
      onClose();
    },
  });
  return (
    <Modal open onOpenChange={(o) => !o && onClose()} title={`Point an alias at version ${v.version}`} description="An alias (champion, challenger, …) names one version; setting it again moves it.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (alias.trim()) set.mutate();
        }}
      >
        <label className="label" htmlFor="alias-name">
          Alias
        </label>
        <input id="alias-name" className="input font-mono" value={alias} onChange={(e) => setAlias(e.target.value)} autoFocus />
        <FormError error={set.error} />
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={set.isPending} data-testid="confirm-alias">
            Set alias
          </button>
        </div>
      </form>
    </Modal>
  );
}

function CardEditor({ name, card, version }: { name: string; card: string; version?: number }) {
  const qc = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(card);
  const save = useMutation({
    mutationFn: () => api().setModelCard(name, text, version),
    onSuccess: () => {
      setEditing(false);
      void qc.invalidateQueries({ queryKey: ['model', name] });
    },
  });
  return (
    <Section
      title={version === undefined ? 'Model card' : `Card of version ${version}`}
      actions={
        !editing && (
          <button
            className="btn"
            onClick={() => {
              setText(card);
              setEditing(true);
            }}
            data-testid={version === undefined ? 'edit-card' : 'edit-version-card'}
            aria-label={version === undefined ? 'edit the model card' : `edit the card of version ${version}`}
          >
            <Pencil size={13} /> Edit
          </button>
        )
      }
    >
      {editing ? (
        <div>
          <textarea className="input min-h-40 font-mono text-[12.5px]" value={text} onChange={(e) => setText(e.target.value)} aria-label={version === undefined ? 'model card (markdown)' : `card of version ${version} (markdown)`} />
          <FormError error={save.error} />
          <div className="mt-2 flex justify-end gap-2">
            <button className="btn" onClick={() => setEditing(false)}>
              Cancel
            </button>
            <button className="btn btn-primary" onClick={() => save.mutate()} disabled={save.isPending} data-testid={version === undefined ? 'save-card' : 'save-version-card'}>
              Save card
            </button>
          </div>
        </div>
      ) : card ? (
        <pre className="whitespace-pre-wrap font-sans text-[13px]" data-testid={version === undefined ? 'model-card' : 'version-card'}>
          {card}
        </pre>
      ) : (
        <p className="text-[13px] text-muted">{version === undefined ? 'No card yet: describe what the model does, its data and its limits.' : 'No notes on this version yet.'}</p>
      )}
    </Section>
  );
}

function Lineage({ v }: { v: ModelVersion }) {
  const l = v.lineage;
  const row = (k: string, val: React.ReactNode) => (
    <div className="flex gap-3 py-1">
      <div className="w-28 shrink-0 text-muted">{k}</div>
      <div className="min-w-0 break-words">{val}</div>
    </div>
  );
  return (
    <Section title={`Lineage of version ${v.version}`}>
      <div className="text-[13px]" data-testid="lineage">
        {row(
          'Run',
          <Link className="text-accent-600 hover:underline" to={`/runs/${l.run.id}`}>
            {l.run.project}/{l.run.name}
          </Link>,
        )}
        {row(
          'Datasets',
          l.datasets.length
            ? l.datasets.map((d) => (
                <Link key={d.id} className="mr-3 text-accent-600 hover:underline" to={`/datasets/${d.id}`}>
                  {d.name}@{d.version} <span className="font-mono text-xs text-muted">{shortHash(d.fingerprint)}</span>
                </Link>
              ))
            : '—',
        )}
        {row('Code', l.code ? <span className="font-mono text-xs">{l.code.commit.slice(0, 12)}{l.code.dirty ? ' (uncommitted changes)' : ''}</span> : 'not a git repository')}
        {row('Environment', l.environment ? [`python ${l.environment.python ?? '?'}`, ...Object.entries(l.environment.packages).map(([k, x]) => `${k} ${x}`)].join(', ') : 'not reported')}
        {row('Artifact', <span>{v.artifactName} ({v.format}, {formatBytes(v.size)}) <span className="font-mono text-xs text-muted">sha256 {shortHash(v.sha256)}</span></span>)}
        {row('Inputs', v.signature ? v.signature.inputs.map((i) => `${i.name} ${i.dtype} [${i.shape.map((d) => d ?? '?').join(', ')}]${i.columns ? `: ${i.columns.join(', ')}` : ''}`).join('; ') : 'no signature: requests are not validated')}
        {row('Metrics', l.metrics.map((m) => `${m.key} ${formatNumber(m.last)}`).join('  ·  ') || '—')}
      </div>
    </Section>
  );
}

function Compare({ name, versions }: { name: string; versions: number[] }) {
  const [a, setA] = useState(versions[versions.length - 2] ?? versions[0]);
  const [b, setB] = useState(versions[versions.length - 1]);
  const ok = a !== undefined && b !== undefined && a !== b;
  const q = useQuery({ queryKey: ['model', name, 'compare', a, b], queryFn: () => api().compareModelVersions(name, [a!, b!]), enabled: ok });
  if (versions.length < 2) return null;
  const pick = (value: number | undefined, set: (n: number) => void, label: string) => (
    <select className="input w-24" value={value} onChange={(e) => set(Number(e.target.value))} aria-label={label}>
      {versions.map((v) => (
        <option key={v} value={v}>
          v{v}
        </option>
      ))}
    </select>
  );
  return (
    <Section
      title={
        <span className="flex items-center gap-2">
          <GitCompareArrows size={14} /> Compare versions
        </span>
      }
      actions={
        <div className="flex items-center gap-2">
          {pick(a, setA, 'first version')} {pick(b, setB, 'second version')}
        </div>
      }
    >
      {q.data && (
        <table className="w-full text-[13px]" data-testid="compare-table">
          <thead>
            <tr>
              <th className="th"></th>
              <th className="th text-right">v{a}</th>
              <th className="th text-right">v{b}</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-[var(--border)]">
            {q.data.metrics.map((m) => (
              <tr key={'m' + m.key}>
                <td className="td">{m.key}</td>
                {m.values.map((x, i) => (
                  <td key={i} className="td text-right tabular-nums">
                    {formatNumber(x)}
                  </td>
                ))}
              </tr>
            ))}
            {[...q.data.params.filter((p) => p.differs), ...q.data.lineage.filter((l) => l.differs).map((l) => ({ key: l.field, values: l.values, differs: true }))].map((p) => (
              <tr key={'p' + p.key} className="bg-amber-50/50 dark:bg-amber-500/5">
                <td className="td">{p.key} ≠</td>
                {p.values.map((x, i) => (
                  <td key={i} className="td text-right font-mono text-xs">
                    {formatValue(x)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Section>
  );
}

async function downloadZip(name: string, version: number) {
  try {
    const res = await api().exportModelZip(name, version);
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${name}-v${version}.zip`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch (err) {
    toast(describeError(err).title, { kind: 'error', description: describeError(err).hint });
  }
}

export function ModelPage() {
  const { name = '' } = useParams();
  const q = useQuery({ queryKey: ['model', name], queryFn: () => api().getModel(name) });
  const history = useQuery({ queryKey: ['model', name, 'history'], queryFn: () => api().modelHistory(name) });
  const [selected, setSelected] = useState<number | null>(null);
  const [stage, setStage] = useState<{ v: ModelVersion; to: ModelStage } | null>(null);
  const [aliasFor, setAliasFor] = useState<ModelVersion | null>(null);
  const [decision, setDecision] = useState<{ request: ApprovalRequest; kind: 'approve' | 'reject' } | null>(null);
  const approvals = useQuery({ queryKey: ['model', name, 'approvals'], queryFn: () => api().listModelApprovals({ model: name }), refetchInterval: 5000 });
  const projectId = q.data?.projectId;
  const policy = useQuery({ queryKey: ['model-policy', projectId], queryFn: () => api().getModelPolicy(projectId!), enabled: projectId !== undefined });
  if (q.error) return <ErrorState error={q.error} back={{ to: '/models', label: 'All models' }} />;
  if (q.isPending) return <SkeletonRows rows={8} />;
  const m = q.data;
  const versions = [...m.versions].reverse();
  const current = versions.find((v) => v.version === selected) ?? versions.find((v) => v.stage === 'production') ?? versions[0];
  const pendingFor = new Map((approvals.data ?? []).filter((r) => r.status === 'pending').map((r) => [r.version, r]));
  return (
    <div>
      <PageHeader
        crumbs={
          <Link to="/models" className="hover:underline">
            Models
          </Link>
        }
        title={m.name}
        subtitle={`Project ${m.projectName} · ${m.versionCount} version(s)`}
      />
      {stage && <StageDialog name={m.name} v={stage.v} to={stage.to} revision={m.revision} approvalRequired={policy.data?.requireApprovalForProduction ?? false} onClose={() => setStage(null)} />}
      {decision && <DecisionDialog modelName={m.name} request={decision.request} kind={decision.kind} onClose={() => setDecision(null)} />}
      {aliasFor && <AliasDialog name={m.name} v={aliasFor} onClose={() => setAliasFor(null)} />}
      <div className="card mb-4 overflow-hidden">
        <table className="w-full text-[13px]" data-testid="versions-table">
          <thead className="border-b border-app bg-panel-2">
            <tr>
              <th className="th">Version</th>
              <th className="th">Stage</th>
              <th className="th">Aliases</th>
              <th className="th">Metrics</th>
              <th className="th">Run</th>
              <th className="th">Registered</th>
              <th className="th text-right">Actions</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-[var(--border)]">
            {versions.map((v) => (
              <tr key={v.id} className={v.version === current?.version ? 'bg-accent-50/40 dark:bg-accent-500/5' : undefined} data-testid="version-row" data-version={v.version}>
                <td className="td">
                  <button className="font-medium hover:underline" onClick={() => setSelected(v.version)}>
                    v{v.version}
                  </button>
                </td>
                <td className="td">
                  <StageBadge stage={v.stage} />
                  {pendingFor.has(v.version) && (
                    <div className="mt-1 flex flex-wrap items-center gap-1" data-testid="pending-approval">
                      <ApprovalBadge status="pending" />
                      <span className="text-xs text-muted">by {pendingFor.get(v.version)!.requestedBy}</span>
                      <button className="btn h-6 px-2 text-xs" onClick={() => setDecision({ request: pendingFor.get(v.version)!, kind: 'approve' })} aria-label={`approve the request for version ${v.version}`} data-testid="approve-request">
                        Approve
                      </button>
                      <button className="btn h-6 px-2 text-xs" onClick={() => setDecision({ request: pendingFor.get(v.version)!, kind: 'reject' })} aria-label={`reject the request for version ${v.version}`} data-testid="reject-request">
                        Reject
                      </button>
                    </div>
                  )}
                </td>
                <td className="td font-mono text-xs">{v.aliases.join(', ')}</td>
                <td className="td text-xs text-muted">
                  {v.lineage.metrics
                    .slice(0, 3)
                    .map((x) => `${x.key} ${formatNumber(x.last)}`)
                    .join(' · ')}
                </td>
                <td className="td">
                  <Link className="font-mono text-xs text-accent-600 hover:underline" to={`/runs/${v.lineage.run.id}`}>
                    {v.lineage.run.name}
                  </Link>
                </td>
                <td className="td text-muted">{timeAgo(v.createdAt)}</td>
                <td className="td">
                  <div className="flex justify-end gap-1">
                    <select
                      className="input h-7 w-32 py-0 text-xs"
                      value=""
                      onChange={(e) => e.target.value && setStage({ v, to: e.target.value as ModelStage })}
                      aria-label={`change the stage of version ${v.version}`}
                      data-testid="stage-select"
                    >
                      <option value="">Move to…</option>
                      {NEXT[v.stage].map((to) => (
                        <option key={to} value={to}>
                          {verb(v.stage, to)} → {to}
                        </option>
                      ))}
                    </select>
                    <button className="btn h-7 px-2 text-xs" onClick={() => setAliasFor(v)} title="Set an alias" aria-label={`set an alias on version ${v.version}`}>
                      <Tag size={12} />
                    </button>
                    <button className="btn h-7 px-2 text-xs" onClick={() => void downloadZip(m.name, v.version)} title={v.format !== 'other' ? 'Export a ZIP bundle with its inference server' : 'Exports are built for ONNX models and scikit-learn pickles'} disabled={v.format === 'other'} aria-label={`export version ${v.version} as ZIP`} data-testid="export-zip">
                      <Download size={12} /> ZIP
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        {current && <Lineage v={current} />}
        <ApprovalsSection modelName={m.name} projectName={m.projectName} policy={policy.data} requests={approvals.data ?? []} />
        <CardEditor name={m.name} card={m.card} />
        {current && <CardEditor key={current.version} name={m.name} card={current.card} version={current.version} />}
        <Compare name={m.name} versions={m.versions.map((v) => v.version)} />
        <Section title="Audit trail">
          <ul className="space-y-1 text-[12.5px]" data-testid="audit-trail">
            {(history.data ?? [])
              .filter((e) => e.type !== 'model.created')
              .slice(-30)
              .reverse()
              .map((e) => {
                const p = e.payload as Record<string, unknown>;
                const what =
                  e.type === 'model.stage_changed'
                    ? `v${String(p.version)} ${String(p.from)} → ${String(p.to)}${p.reason ? ` — ${String(p.reason)}` : ''}`
                    : e.type === 'model.alias_set'
                      ? `${String(p.alias)} → v${String(p.version)}`
                      : e.type.startsWith('approval.')
                        ? `${e.type.replace('approval.', 'approval ')} v${String(p.version)}${p.reason ? ` — ${String(p.reason)}` : p.why ? ` — ${String(p.why)}` : ''}`
                        : e.type.replace('model.', '').replace('_', ' ') + (p.version ? ` v${String(p.version)}` : '');
                return (
                  <li key={e.seq} className="flex gap-2">
                    <span className="w-20 shrink-0 text-muted">{timeAgo(e.ts)}</span>
                    <span className="w-28 shrink-0 truncate text-muted">{e.actor}</span>
                    <span>{what}</span>
                  </li>
                );
              })}
          </ul>
        </Section>
      </div>
    </div>
  );
}
