import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { HardDrive, Link2, RefreshCw, Undo2, Unlink } from 'lucide-react';
import { useState } from 'react';
import { CommandLine, EmptyState, ErrorState, Modal, PageHeader, Section, SkeletonRows, Stat, cx, FormError } from '../components/ui';
import { api, describeError } from '../lib/api';
import { formatBytes, shortHash, timeAgo } from '../lib/format';
import { toast } from '../lib/toast';

// The shapes `wb cache … --json` prints and GET /api/v1/cache returns.
interface CacheModel {
  id: string;
  source: string;
  name: string;
  revision: string | null;
  size: number;
  files: number;
  format: 'gguf' | 'safetensors' | 'other';
  usedBy: string[];
  linked: boolean;
}
interface Copy {
  dev: string;
  ino: string;
  blobPaths: string[];
  models: string[];
  stores: string[];
}
interface CacheSummary {
  scannedAt: string;
  stores: Array<{ kind: string; root: string; origin: string; exists: boolean }>;
  models: CacheModel[];
  stats: { models: number; files: number; totalBytes: number; reclaimableBytes: number; savedBytes: number; duplicateGroups: number; byStore: Array<{ store: string; root: string; models: number; bytes: number }> };
  duplicates: Array<{ sha256: string; size: number; copies: Copy[]; reclaimable: number }>;
  sameModel: Array<{ family: string; models: Array<{ id: string; format: string; size: number; quantization?: string }> }>;
  problems: Array<{ kind: string; path: string; message: string }>;
}
interface DedupPlan {
  method: string;
  actions: Array<{ keep: string; replace: string; size: number; frees: number }>;
  reclaimBytes: number;
  skipped: Array<{ path: string; reason: string }>;
}
interface LinkRecord {
  model: string;
  to: 'lmstudio' | 'ollama';
  path: string;
}

const STORE_LABEL: Record<string, string> = { huggingface: 'Hugging Face', ollama: 'Ollama', lmstudio: 'LM Studio', llamacpp: 'llama.cpp', 'node-llama-cpp': 'node-llama-cpp', folder: 'Folder' };

/** Dry run first: the dialog shows exactly what will be linked, then the server re-checks that plan. */
function DedupDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (o: boolean) => void }) {
  const qc = useQueryClient();
  const plan = useQuery({ queryKey: ['cache', 'dedup-plan'], queryFn: () => api().request<DedupPlan>('GET', '/cache/dedup'), enabled: open, staleTime: 0, gcTime: 0 });
  const apply = useMutation({
    mutationFn: (p: DedupPlan) => api().request<{ replaced: number; freedBytes: number; failed: Array<{ path: string; reason: string }> }>('POST', '/cache/dedup', { body: { confirmReclaimBytes: p.reclaimBytes } }),
    onSuccess: (r) => {
      onOpenChange(false);
      toast(`Linked ${r.replaced} file(s), reclaimed ${formatBytes(r.freedBytes)}`, { kind: r.failed.length ? 'error' : 'success', description: r.failed.length ? `${r.failed.length} skipped: ${r.failed[0]!.reason}` : 'Undo gives every file its own copy back.' });
      void qc.invalidateQueries({ queryKey: ['cache'] });
    },
  });
  const p = plan.data;
  return (
    <Modal open={open} onOpenChange={onOpenChange} wide title="Deduplicate identical model files" description="Each file below becomes a hard link to the kept copy: same bytes, one copy on disk. Both files are hashed again right before each replacement, and an undo journal is kept.">
      {plan.isPending ? <SkeletonRows rows={4} /> : null}
      {plan.error ? <FormError error={plan.error} /> : null}
      {p && (
        <div data-testid="dedup-preview">
          <p className="text-[13px]">
            {p.actions.length === 0 ? (
              'No identical files to link: nothing to reclaim.'
            ) : (
              <>
                <strong data-testid="dedup-reclaim">{formatBytes(p.reclaimBytes)}</strong> reclaimed by linking {p.actions.length} file(s).
              </>
            )}
          </p>
          {p.actions.length > 0 && (
            <ul className="mt-3 max-h-64 space-y-2 overflow-auto rounded-lg border border-app p-2 font-mono text-[11.5px]">
              {p.actions.slice(0, 100).map((a) => (
                <li key={a.replace}>
                  <div className="break-all">{a.replace}</div>
                  <div className="break-all text-muted">→ {a.keep}</div>
                </li>
              ))}
            </ul>
          )}
          {p.skipped.length > 0 && (
            <p className="mt-2 text-xs text-muted">
              {p.skipped.length} file(s) left alone ({p.skipped[0]!.reason}).
            </p>
          )}
        </div>
      )}
      {apply.error ? <FormError error={apply.error} /> : null}
      <div className="mt-5 flex justify-end gap-2">
        <button className="btn" onClick={() => onOpenChange(false)}>
          Cancel
        </button>
        <button className="btn btn-primary" disabled={!p || p.actions.length === 0 || apply.isPending} onClick={() => p && apply.mutate(p)}>
          {apply.isPending ? 'Linking…' : `Link ${p?.actions.length ?? ''} file(s)`}
        </button>
      </div>
    </Modal>
  );
}

export function CachePage() {
  const qc = useQueryClient();
  const [dedupOpen, setDedupOpen] = useState(false);
  const summary = useQuery({ queryKey: ['cache', 'summary'], queryFn: () => api().request<CacheSummary>('GET', '/cache') });
  const links = useQuery({ queryKey: ['cache', 'links'], queryFn: async () => (await api().request<{ links: LinkRecord[] }>('GET', '/cache/links')).links });
  const done = (msg: string) => () => {
    toast(msg, { kind: 'success' });
    void qc.invalidateQueries({ queryKey: ['cache'] });
  };
  const failed = (err: unknown) => toast(describeError(err).title, { kind: 'error', description: describeError(err).hint });
  const rescan = useMutation({ mutationFn: () => api().request('POST', '/cache/scan'), onSuccess: done('Rescanned every store'), onError: failed });
  const undo = useMutation({
    mutationFn: () => api().request<{ restored: string[] }>('POST', '/cache/undo'),
    onSuccess: (r) => done(r.restored.length ? `Restored ${r.restored.length} separate copies` : 'No dedup to undo')(),
    onError: failed,
  });
  const link = useMutation({ mutationFn: (b: { model: string; to: 'lmstudio' | 'ollama' }) => api().request<LinkRecord>('POST', '/cache/link', { body: b }), onSuccess: (r) => done(`Linked into ${r.to === 'lmstudio' ? 'LM Studio' : 'Ollama'}: ${r.path}`)(), onError: failed });
  const unlink = useMutation({ mutationFn: (model: string) => api().request('POST', '/cache/unlink', { body: { model } }), onSuccess: done('Link removed'), onError: failed });

  if (summary.error) return <ErrorState error={summary.error} onRetry={() => void summary.refetch()} />;
  const s = summary.data;
  const linkedFrom = new Map((links.data ?? []).map((l) => [l.model, l]));
  const maxStore = Math.max(1, ...(s?.stats.byStore.map((b) => b.bytes) ?? [1]));
  return (
    <div className="space-y-5">
      <PageHeader
        title="Model cache"
        subtitle={s ? `Model files across the Hugging Face cache, Ollama, LM Studio and your folders; scanned ${timeAgo(s.scannedAt)}` : 'Scanning the model stores…'}
        actions={
          <div className="flex gap-2">
            <button className="btn" onClick={() => rescan.mutate()} disabled={rescan.isPending}>
              <RefreshCw size={14} className={cx(rescan.isPending && 'animate-spin')} /> Rescan
            </button>
            <button className="btn" onClick={() => undo.mutate()} disabled={undo.isPending}>
              <Undo2 size={14} /> Undo last dedup
            </button>
            <button className="btn btn-primary" onClick={() => setDedupOpen(true)} disabled={!s}>
              <HardDrive size={14} /> Deduplicate…
            </button>
          </div>
        }
      />
      {!s ? (
        <SkeletonRows rows={8} />
      ) : s.models.length === 0 ? (
        <EmptyState title="No model files found" commands={['wb cache config', 'wb cache add file:///path/to/models']}>
          None of the stores holds a model yet. See where Workbench looks, or add a folder.
        </EmptyState>
      ) : (
        <>
          <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Stat label="On disk" value={formatBytes(s.stats.totalBytes)} sub={`${s.stats.models} models, ${s.stats.files} files`} />
            <Stat label="Reclaimable" value={<span data-testid="cache-reclaimable">{formatBytes(s.stats.reclaimableBytes)}</span>} sub={`${s.stats.duplicateGroups} group(s) of identical files`} />
            <Stat label="Saved so far" value={<span data-testid="cache-saved">{formatBytes(s.stats.savedBytes)}</span>} sub="shared through hard links" />
            <Stat label="Problems" value={s.problems.length} sub={s.problems.length ? 'wb cache doctor --fix' : 'none found'} />
          </div>

          <Section title="Usage by store">
            <table className="w-full text-[13px]" data-testid="cache-stores">
              <thead className="text-left text-xs text-muted">
                <tr>
                  <th className="px-4 py-2 font-medium">Store</th>
                  <th className="px-4 py-2 font-medium">Folder</th>
                  <th className="px-4 py-2 text-right font-medium">Models</th>
                  <th className="px-4 py-2 text-right font-medium">Size</th>
                  <th className="w-1/4 px-4 py-2 font-medium">
                    <span className="sr-only">Share</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {s.stats.byStore.map((b) => (
                  <tr key={b.store + b.root} className="border-t border-app">
                    <td className="px-4 py-2 font-medium">{STORE_LABEL[b.store] ?? b.store}</td>
                    <td className="px-4 py-2 font-mono text-[12px] text-muted">{b.root}</td>
                    <td className="px-4 py-2 text-right tabular-nums">{b.models}</td>
                    <td className="px-4 py-2 text-right tabular-nums">{formatBytes(b.bytes)}</td>
                    <td className="px-4 py-2">
                      <div className="h-1.5 rounded-full bg-zinc-100 dark:bg-zinc-800" role="img" aria-label={`${Math.round((b.bytes / maxStore) * 100)}% of the largest store`}>
                        <div className="h-1.5 rounded-full bg-accent-500" style={{ width: `${(b.bytes / maxStore) * 100}%` }} />
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Section>

          <Section title={`Identical files (${s.duplicates.length})`}>
            {s.duplicates.length === 0 ? (
              <p className="px-4 py-3 text-[13px] text-muted">No identical files in separate copies.</p>
            ) : (
              <table className="w-full text-[13px]" data-testid="cache-duplicates">
                <thead className="text-left text-xs text-muted">
                  <tr>
                    <th className="px-4 py-2 font-medium">Content</th>
                    <th className="px-4 py-2 text-right font-medium">Size</th>
                    <th className="px-4 py-2 font-medium">Copies in</th>
                    <th className="px-4 py-2 text-right font-medium">Reclaimable</th>
                  </tr>
                </thead>
                <tbody>
                  {s.duplicates.slice(0, 200).map((d) => (
                    <tr key={d.sha256} className="border-t border-app align-top">
                      <td className="px-4 py-2 font-mono text-[12px]">{shortHash(d.sha256)}</td>
                      <td className="px-4 py-2 text-right tabular-nums">{formatBytes(d.size)}</td>
                      <td className="px-4 py-2">
                        {d.copies.map((c) => (
                          <div key={c.dev + ':' + c.ino}>{c.models.join(', ')}</div>
                        ))}
                      </td>
                      <td className="px-4 py-2 text-right font-medium tabular-nums">{formatBytes(d.reclaimable)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>

          <Section title={`Models (${s.models.length})`}>
            <table className="w-full text-[13px]" data-testid="cache-models">
              <thead className="text-left text-xs text-muted">
                <tr>
                  <th className="px-4 py-2 font-medium">Model</th>
                  <th className="px-4 py-2 text-right font-medium">Size</th>
                  <th className="px-4 py-2 font-medium">Format</th>
                  <th className="px-4 py-2 font-medium">Source</th>
                  <th className="px-4 py-2 font-medium">Used by</th>
                  <th className="px-4 py-2 font-medium">Linked</th>
                  <th className="px-4 py-2 font-medium">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...s.models]
                  .sort((a, b) => b.size - a.size)
                  .slice(0, 500)
                  .map((m) => {
                    const made = linkedFrom.get(m.id);
                    return (
                      <tr key={m.id} className="border-t border-app" data-model={m.id}>
                        <td className="px-4 py-2">
                          <div className="font-medium">{m.name}</div>
                          {m.revision && <div className="text-xs text-muted">{m.revision}</div>}
                        </td>
                        <td className="px-4 py-2 text-right tabular-nums">{formatBytes(m.size)}</td>
                        <td className="px-4 py-2">{m.format}</td>
                        <td className="px-4 py-2">{STORE_LABEL[m.source] ?? m.source}</td>
                        <td className="px-4 py-2">{m.usedBy.join(', ')}</td>
                        <td className="px-4 py-2">{m.linked ? 'yes' : ''}</td>
                        <td className="px-4 py-2 text-right whitespace-nowrap">
                          {made ? (
                            <button className="btn px-2 py-1 text-xs" onClick={() => unlink.mutate(m.id)} aria-label={`Remove the ${made.to === 'lmstudio' ? 'LM Studio' : 'Ollama'} link of ${m.name}`}>
                              <Unlink size={13} /> Unlink
                            </button>
                          ) : m.format === 'gguf' ? (
                            <>
                              {m.source !== 'lmstudio' && (
                                <button className="btn px-2 py-1 text-xs" onClick={() => link.mutate({ model: m.id, to: 'lmstudio' })} aria-label={`Link ${m.name} into LM Studio`}>
                                  <Link2 size={13} /> LM Studio
                                </button>
                              )}
                              {m.source !== 'ollama' && (
                                <button className="btn ml-1 px-2 py-1 text-xs" onClick={() => link.mutate({ model: m.id, to: 'ollama' })} aria-label={`Link ${m.name} into Ollama`}>
                                  <Link2 size={13} /> Ollama
                                </button>
                              )}
                            </>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
              </tbody>
            </table>
          </Section>

          {s.sameModel.length > 0 && (
            <Section title="Same model, other format (advisory)">
              <ul className="space-y-1 px-4 py-3 text-[13px]">
                {s.sameModel.map((g) => (
                  <li key={g.family}>
                    <span className="font-medium">{g.family}</span>: {g.models.map((m) => `${m.id} (${m.format}${m.quantization ? ` ${m.quantization}` : ''}, ${formatBytes(m.size)})`).join(' · ')}
                  </li>
                ))}
              </ul>
            </Section>
          )}
          {s.problems.length > 0 && (
            <Section title={`Problems (${s.problems.length})`}>
              <ul className="space-y-1 px-4 py-3 text-[13px]">
                {s.problems.slice(0, 50).map((p) => (
                  <li key={p.kind + p.path}>
                    <span className="font-medium">{p.kind}</span>: {p.message}
                  </li>
                ))}
              </ul>
              <div className="px-4 pb-3">
                <CommandLine cmd="wb cache doctor --fix" />
              </div>
            </Section>
          )}
        </>
      )}
      <DedupDialog open={dedupOpen} onOpenChange={setDedupOpen} />
    </div>
  );
}
