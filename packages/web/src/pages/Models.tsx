import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Model, ModelStage } from '@workbench/api';
import { Package, Plus } from 'lucide-react';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { EmptyState, ErrorState, Modal, PageHeader, SkeletonRows, cx, FormError } from '../components/ui';
import { api } from '../lib/api';
import { timeAgo } from '../lib/format';
import { toast } from '../lib/toast';

const STAGE_STYLE: Record<ModelStage, string> = {
  production: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-500/30',
  staging: 'bg-sky-50 text-sky-800 ring-sky-600/20 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-500/30',
  draft: 'bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-600/40',
  archived: 'bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-500/30',
};

export function StageBadge({ stage, version }: { stage: ModelStage; version?: number }) {
  return (
    <span data-stage={stage} className={cx('inline-flex items-center rounded-full px-2 py-0.5 text-[11px] font-medium ring-1 ring-inset', STAGE_STYLE[stage])}>
      {version !== undefined ? `v${version} ` : ''}
      {stage}
    </span>
  );
}

function RegisterDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [runId, setRunId] = useState('');
  const [artifact, setArtifact] = useState('model.onnx');
  const [name, setName] = useState('');
  const artifacts = useQuery({ queryKey: ['artifacts', runId], queryFn: () => api().listArtifacts(runId.trim()), enabled: runId.trim().length >= 4, retry: false });
  const reg = useMutation({
    mutationFn: () => api().registerModel({ runId: runId.trim(), artifact: artifact.trim(), name: name.trim() }),
    onSuccess: (v) => {
      onOpenChange(false);
      toast(`Registered ${v.modelName} v${v.version}`, { kind: 'success', description: 'It starts as a draft.' });
      void qc.invalidateQueries({ queryKey: ['models'] });
      void navigate(`/models/${encodeURIComponent(v.modelName)}`);
    },
  });
  return (
    <Modal open={open} onOpenChange={onOpenChange} title="Register a model" description="A run's artifact becomes a new version of the model (created if needed), with the run's lineage.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (runId.trim() && artifact.trim() && name.trim()) reg.mutate();
        }}
      >
        <label className="label" htmlFor="reg-run">
          Run id
        </label>
        <input id="reg-run" className="input font-mono text-[12.5px]" value={runId} onChange={(e) => setRunId(e.target.value)} placeholder="01m8…" autoFocus />
        <div className="mt-3 grid grid-cols-2 gap-3">
          <div>
            <label className="label" htmlFor="reg-artifact">
              Artifact
            </label>
            {artifacts.data?.length ? (
              <select id="reg-artifact" className="input" value={artifact} onChange={(e) => setArtifact(e.target.value)}>
                {artifacts.data.map((a) => (
                  <option key={a.id}>{a.name}</option>
                ))}
              </select>
            ) : (
              <input id="reg-artifact" className="input font-mono text-[12.5px]" value={artifact} onChange={(e) => setArtifact(e.target.value)} />
            )}
          </div>
          <div>
            <label className="label" htmlFor="reg-name">
              Model name
            </label>
            <input id="reg-name" className="input" value={name} onChange={(e) => setName(e.target.value)} placeholder="fraud-classifier" />
          </div>
        </div>
        <FormError error={reg.error} />
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="btn" onClick={() => onOpenChange(false)}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={reg.isPending || !runId.trim() || !name.trim()} data-testid="register-submit">
            {reg.isPending ? 'Registering…' : 'Register'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function stagesOf(m: Model) {
  return (['production', 'staging', 'draft', 'archived'] as const).flatMap((s) => (m.stages[s] ?? []).map((v) => ({ stage: s, version: v })));
}

export function ModelsPage() {
  const q = useQuery({ queryKey: ['models'], queryFn: () => api().listModels() });
  const [registering, setRegistering] = useState(false);
  return (
    <div>
      <PageHeader
        title="Models"
        subtitle="Registered model versions with their stage (draft → staging → production → archived), aliases and lineage."
        actions={
          <button className="btn btn-primary" onClick={() => setRegistering(true)} data-testid="register-model">
            <Plus size={14} /> Register a model
          </button>
        }
      />
      <RegisterDialog open={registering} onOpenChange={setRegistering} />
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : (
        <div className="card overflow-hidden">
          {q.isPending ? (
            <SkeletonRows rows={4} />
          ) : q.data.length === 0 ? (
            <EmptyState icon={<Package size={20} />} title="No models yet" commands={['wb model register --run RUN --artifact model.onnx --name fraud-classifier']}>
              Register the model a run produced: it becomes version 1, a draft you can promote to staging and production.
            </EmptyState>
          ) : (
            <table className="w-full text-[13px]" data-testid="models-table">
              <thead className="border-b border-app bg-panel-2">
                <tr>
                  <th className="th">Name</th>
                  <th className="th">Project</th>
                  <th className="th text-right">Versions</th>
                  <th className="th">Stages</th>
                  <th className="th">Aliases</th>
                  <th className="th">Updated</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-[var(--border)]">
                {q.data.map((m) => (
                  <tr key={m.id} className="hover:bg-zinc-50 dark:hover:bg-zinc-800/40" data-testid="model-row">
                    <td className="td">
                      <Link to={`/models/${encodeURIComponent(m.name)}`} className="font-medium hover:underline">
                        {m.name}
                      </Link>
                    </td>
                    <td className="td text-muted">{m.projectName}</td>
                    <td className="td text-right tabular-nums">{m.versionCount}</td>
                    <td className="td">
                      <div className="flex flex-wrap gap-1">
                        {stagesOf(m)
                          .filter((s) => s.stage !== 'archived')
                          .slice(0, 4)
                          .map((s) => (
                            <StageBadge key={s.version} stage={s.stage} version={s.version} />
                          ))}
                      </div>
                    </td>
                    <td className="td font-mono text-xs text-muted">
                      {Object.entries(m.aliases)
                        .map(([a, v]) => `${a}→v${v}`)
                        .join('  ')}
                    </td>
                    <td className="td text-muted">{timeAgo(m.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </div>
  );
}
