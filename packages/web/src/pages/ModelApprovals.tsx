import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ApprovalRequest, ModelPolicy } from '@workbench/api';
import { ShieldCheck } from 'lucide-react';
import { useState } from 'react';
import { FormError, Modal, Section, cx } from '../components/ui';
import { api } from '../lib/api';
import { timeAgo } from '../lib/format';
import { toast } from '../lib/toast';

// Second-person approval on the model page. The page says who is acting the way the CLI's
// --as / WB_USER does: a name sent as X-Workbench-Actor with every registry change. Without
// team mode that name is a convention between colleagues, not a security boundary.

const ACTING_AS_KEY = 'wb-acting-as';

function readActingAs(): string {
  try {
    return localStorage.getItem(ACTING_AS_KEY) ?? '';
  } catch {
    return '';
  }
}

/** The name this browser acts as, kept across visits. */
export function useActingAs(): [string, (name: string) => void] {
  const [name, setName] = useState(readActingAs);
  return [
    name,
    (next: string) => {
      setName(next);
      try {
        localStorage.setItem(ACTING_AS_KEY, next.trim());
      } catch {
        /* storage disabled: the name lives for this page only */
      }
    },
  ];
}

/** `{ actor }` for the SDK when a name is set; the server alone is nobody. */
export const actingAs = (name: string): { actor?: string } => (name.trim() ? { actor: name.trim() } : {});

export function ActingAsField({ value, onChange, id }: { value: string; onChange: (v: string) => void; id: string }) {
  return (
    <div>
      <label className="label" htmlFor={id}>
        Acting as
      </label>
      <input id={id} className="input font-mono" value={value} onChange={(e) => onChange(e.target.value)} placeholder="your name, as in wb --as NAME" autoComplete="off" data-testid="acting-as" />
      <p className="mt-1 text-xs text-muted">Recorded on your changes. Without team mode this name is a convention, not a security boundary.</p>
    </div>
  );
}

const STATUS_STYLE: Record<ApprovalRequest['status'], string> = {
  pending: 'bg-amber-50 text-amber-800 ring-amber-600/20 dark:bg-amber-500/10 dark:text-amber-200',
  approved: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-500/10 dark:text-emerald-200',
  rejected: 'bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-500/10 dark:text-red-200',
  withdrawn: 'bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300',
  stale: 'bg-zinc-100 text-zinc-700 ring-zinc-500/20 dark:bg-zinc-800 dark:text-zinc-300',
};

export function ApprovalBadge({ status }: { status: ApprovalRequest['status'] }) {
  return <span className={cx('inline-flex items-center rounded-full px-2 py-0.5 text-[11px] font-medium ring-1 ring-inset', STATUS_STYLE[status])}>{status === 'pending' ? 'awaiting approval' : status}</span>;
}

/** Approve (the version enters production) or reject a request, after a confirmation. */
export function DecisionDialog({ modelName, request, kind, onClose }: { modelName: string; request: ApprovalRequest; kind: 'approve' | 'reject'; onClose: () => void }) {
  const qc = useQueryClient();
  const [actor, setActor] = useActingAs();
  const [reason, setReason] = useState('');
  const decide = useMutation({
    mutationFn: () =>
      kind === 'approve' ? api().approveModelRequest(request.id, reason.trim() ? { reason: reason.trim() } : {}, actingAs(actor)) : api().rejectModelRequest(request.id, reason.trim(), actingAs(actor)),
    onSuccess: (d) => {
      toast(kind === 'approve' ? `${modelName} v${request.version} is in production` : `Rejected the request for v${request.version}`, {
        kind: 'success',
        description: kind === 'approve' ? `Asked by ${request.requestedBy}, approved by ${d.request.decidedBy ?? ''}` : `${request.requestedBy} asked; ${d.request.decidedBy ?? ''} rejected`,
      });
      void qc.invalidateQueries({ queryKey: ['model', modelName] });
      void qc.invalidateQueries({ queryKey: ['models'] });
      onClose();
    },
  });
  const approving = kind === 'approve';
  return (
    <Modal
      open
      onOpenChange={(o) => !o && onClose()}
      title={approving ? `Approve version ${request.version} for production?` : `Reject the request for version ${request.version}?`}
      description={
        approving
          ? `${request.requestedBy} asked: “${request.reason}”. Approving moves it from ${request.fromStage} to production now; the current production version, if any, becomes ${request.previous ?? 'archived'}.`
          : `${request.requestedBy} asked: “${request.reason}”. The version stays ${request.fromStage}; your reason goes back to them.`
      }
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (approving || reason.trim()) decide.mutate();
        }}
      >
        <ActingAsField id="decision-actor" value={actor} onChange={setActor} />
        <label className="label mt-3" htmlFor="decision-reason">
          {approving ? 'Note (optional)' : 'Reason (required)'}
        </label>
        <input id="decision-reason" className="input" value={reason} onChange={(e) => setReason(e.target.value)} placeholder={approving ? 'checked the metrics and the card' : 'what is missing'} />
        <FormError error={decide.error} />
        <div className="mt-5 flex justify-end gap-2">
          <button type="button" className="btn" onClick={onClose}>
            Not now
          </button>
          <button type="submit" className={cx('btn', approving ? 'btn-primary' : 'btn-danger')} disabled={decide.isPending || (!approving && !reason.trim())} data-testid={approving ? 'confirm-approve' : 'confirm-reject'}>
            {decide.isPending ? 'Working…' : approving ? 'Approve and promote' : 'Reject'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

/** The project's rule, the requests of this model, and the withdraw button for one's own. */
export function ApprovalsSection({ modelName, projectName, policy, requests }: { modelName: string; projectName: string; policy: ModelPolicy | undefined; requests: ApprovalRequest[] }) {
  const qc = useQueryClient();
  const [actor, setActor] = useActingAs();
  const setPolicy = useMutation({
    mutationFn: (on: boolean) => api().setModelPolicy(projectName, { requireApprovalForProduction: on }, actingAs(actor)),
    onSuccess: (p) => {
      qc.setQueryData(['model-policy', p.projectId], p);
      toast(p.requireApprovalForProduction ? `Production in ${projectName} now needs a second person's approval` : `Promotions into production in ${projectName} are direct again`, { kind: 'success' });
    },
  });
  const withdraw = useMutation({
    mutationFn: (id: string) => api().withdrawModelRequest(id, {}, actingAs(actor)),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['model', modelName] }),
  });
  const me = actor.trim().toLowerCase();
  return (
    <Section
      title={
        <span className="flex items-center gap-2">
          <ShieldCheck size={14} /> Approvals
        </span>
      }
    >
      <label className="flex items-start gap-2 text-[13px]">
        <input
          type="checkbox"
          className="mt-0.5"
          checked={policy?.requireApprovalForProduction ?? false}
          disabled={!policy || setPolicy.isPending}
          onChange={(e) => setPolicy.mutate(e.target.checked)}
          data-testid="require-approval"
        />
        <span>
          Require a second person's approval to enter production <span className="text-muted">(project {projectName})</span>
        </span>
      </label>
      <FormError error={setPolicy.error ?? withdraw.error} />
      <div className="mt-3">
        <ActingAsField id="section-actor" value={actor} onChange={setActor} />
      </div>
      {requests.length > 0 ? (
        <ul className="mt-3 space-y-2 text-[12.5px]" data-testid="approval-requests">
          {requests.slice(0, 20).map((r) => (
            <li key={r.id} className="flex flex-wrap items-center gap-2" data-testid="approval-request" data-status={r.status}>
              <ApprovalBadge status={r.status} />
              <span className="font-medium">v{r.version}</span>
              <span className="text-muted">
                {r.fromStage} → {r.toStage}, asked by {r.requestedBy} {timeAgo(r.requestedAt)}: “{r.reason}”
                {r.decidedBy && ` · ${r.status} by ${r.decidedBy}`}
                {r.decisionReason && ` — ${r.decisionReason}`}
              </span>
              {r.status === 'pending' && me !== '' && r.requestedBy.toLowerCase() === me && (
                <button className="btn h-6 px-2 text-xs" onClick={() => withdraw.mutate(r.id)} disabled={withdraw.isPending}>
                  Withdraw
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : (
        <p className="mt-3 text-[13px] text-muted">No approval requests for this model.</p>
      )}
    </Section>
  );
}
