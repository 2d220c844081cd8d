import * as Dialog from '@radix-ui/react-dialog';
import type { RunStatus } from '@workbench/api';
import { AlertTriangle, Check, Copy, X } from 'lucide-react';
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { describeError } from '../lib/api';
import { progressFraction } from '../lib/format';

export function cx(...c: Array<string | false | null | undefined>): string {
  return c.filter(Boolean).join(' ');
}

const STATUS_STYLE: Record<RunStatus, string> = {
  queued: 'bg-zinc-100 text-zinc-700 ring-zinc-300/60 dark:bg-zinc-800 dark:text-zinc-300 dark:ring-zinc-700',
  running: 'bg-sky-50 text-sky-700 ring-sky-300/60 dark:bg-sky-500/10 dark:text-sky-300 dark:ring-sky-500/30',
  succeeded: 'bg-emerald-50 text-emerald-700 ring-emerald-300/60 dark:bg-emerald-500/10 dark:text-emerald-300 dark:ring-emerald-500/30',
  failed: 'bg-red-50 text-red-700 ring-red-300/60 dark:bg-red-500/10 dark:text-red-300 dark:ring-red-500/30',
  cancelled: 'bg-amber-50 text-amber-800 ring-amber-300/60 dark:bg-amber-500/10 dark:text-amber-300 dark:ring-amber-500/30',
  lost: 'bg-fuchsia-50 text-fuchsia-700 ring-fuchsia-300/60 dark:bg-fuchsia-500/10 dark:text-fuchsia-300 dark:ring-fuchsia-500/30',
};
const DOT: Record<RunStatus, string> = {
  queued: 'bg-zinc-400',
  running: 'bg-sky-500 animate-pulse',
  succeeded: 'bg-emerald-500',
  failed: 'bg-red-500',
  cancelled: 'bg-amber-500',
  lost: 'bg-fuchsia-500',
};

export function StatusBadge({ status }: { status: RunStatus }) {
  return (
    <span data-status={status} className={cx('inline-flex items-center gap-1.5 rounded-full px-2 py-0.5 text-[11px] font-medium ring-1 ring-inset', STATUS_STYLE[status])}>
      <span className={cx('size-1.5 rounded-full', DOT[status])} />
      {status}
    </span>
  );
}

export function ProgressBar({ progress, className }: { progress: { current: number; total: number | null } | null | undefined; className?: string }) {
  const f = progressFraction(progress);
  return (
    <div className={cx('h-1.5 w-full overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800', className)} role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={f === null ? undefined : Math.round(f * 100)}>
      {f === null ? <div className="h-full w-1/3 animate-[wb-indeterminate_1.4s_ease-in-out_infinite] rounded-full bg-sky-500/70" /> : <div className="h-full rounded-full bg-sky-500 transition-[width] duration-300" style={{ width: `${f * 100}%` }} />}
    </div>
  );
}

export function Skeleton({ className }: { className?: string }) {
  return <div className={cx('skeleton', className ?? 'h-4 w-full')} />;
}

export function SkeletonRows({ rows = 6 }: { rows?: number }) {
  return (
    <div className="space-y-2 p-4" aria-busy="true" aria-label="loading">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className={cx('h-7', i % 3 === 0 ? 'w-full' : i % 3 === 1 ? 'w-11/12' : 'w-10/12')} />
      ))}
    </div>
  );
}

export function CommandLine({ cmd }: { cmd: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="group flex items-center gap-2 rounded-lg border border-app bg-zinc-950 px-3 py-2 font-mono text-[12.5px] text-zinc-100 dark:bg-black/50">
      <span className="text-zinc-500 select-none">$</span>
      {/* Focusable so a keyboard user can scroll a command wider than the box. */}
      <code className="flex-1 overflow-x-auto whitespace-pre" data-testid="command" tabIndex={0}>
        {cmd}
      </code>
      <button
        type="button"
        className="text-zinc-500 hover:text-zinc-200"
        title="Copy"
        onClick={() => {
          void navigator.clipboard?.writeText(cmd).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1200);
          });
        }}
      >
        {copied ? <Check size={14} /> : <Copy size={14} />}
      </button>
    </div>
  );
}

export function EmptyState({ icon, title, children, commands }: { icon?: ReactNode; title: string; children?: ReactNode; commands?: string[] }) {
  return (
    <div className="flex flex-col items-center justify-center px-6 py-12 text-center" data-testid="empty-state">
      {icon && <div className="mb-3 flex size-11 items-center justify-center rounded-xl bg-accent-50 text-accent-600 dark:bg-accent-500/10 dark:text-accent-400">{icon}</div>}
      <h3 className="text-[15px] font-semibold">{title}</h3>
      {children && <div className="mt-1 max-w-md text-[13px] text-muted">{children}</div>}
      {commands && commands.length > 0 && (
        <div className="mt-4 w-full max-w-lg space-y-1.5 text-left">
          {commands.map((c) => (
            <CommandLine key={c} cmd={c} />
          ))}
        </div>
      )}
    </div>
  );
}

/** An action's error inside a form or dialog: what went wrong and what to do next. */
export function FormError({ error, className = 'mt-3' }: { error: unknown; className?: string }) {
  if (!error) return null;
  const e = describeError(error);
  return (
    <div role="alert" className={cx(className, 'rounded-lg bg-red-50 px-3 py-2 text-[13px] text-red-800 dark:bg-red-500/10 dark:text-red-200')}>
      {e.title}
      {e.hint && <div className="text-xs opacity-80">{e.hint}</div>}
    </div>
  );
}

export function ErrorState({ error, onRetry, back }: { error: unknown; onRetry?: () => void; back?: { to: string; label: string } }) {
  const { title, hint } = describeError(error);
  const notFound = (error as { code?: string } | null)?.code === 'NOT_FOUND';
  return (
    <div role="alert" className="m-4 flex items-start gap-3 rounded-xl border border-red-200 bg-red-50 p-4 text-red-900 dark:border-red-500/30 dark:bg-red-500/10 dark:text-red-200">
      <AlertTriangle size={18} className="mt-0.5 shrink-0" />
      <div className="flex-1">
        <div className="font-medium">{title}</div>
        {hint && <div className="mt-0.5 text-[13px] opacity-80">{hint}</div>}
      </div>
      {back && (
        <Link className="btn" to={back.to}>
          {back.label}
        </Link>
      )}
      {onRetry && !notFound && (
        <button className="btn" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function PageHeader({ title, subtitle, actions, crumbs }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode; crumbs?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div className="min-w-0">
        {crumbs && <div className="mb-1 text-xs text-muted">{crumbs}</div>}
        <h1 className="truncate text-xl font-semibold tracking-tight">{title}</h1>
        {subtitle && <div className="mt-0.5 text-[13px] text-muted">{subtitle}</div>}
      </div>
      {actions && <div className="flex items-center gap-2">{actions}</div>}
    </div>
  );
}

export function Modal({ open, onOpenChange, title, description, children, wide }: { open: boolean; onOpenChange: (o: boolean) => void; title: string; description?: ReactNode; children: ReactNode; wide?: boolean }) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40 backdrop-blur-[2px] data-[state=open]:animate-[wb-fade_120ms_ease-out]" />
        <Dialog.Content
          className={cx('fixed top-[18%] left-1/2 z-50 w-[calc(100vw-2rem)] -translate-x-1/2 rounded-2xl border border-app bg-panel p-5 shadow-2xl data-[state=open]:animate-[wb-pop_140ms_ease-out]', wide ? 'max-w-2xl' : 'max-w-md')}
          aria-describedby={description ? undefined : undefined}
        >
          <div className="mb-3 flex items-start justify-between gap-4">
            <div>
              <Dialog.Title className="text-[15px] font-semibold">{title}</Dialog.Title>
              {description ? <Dialog.Description className="mt-1 text-[13px] text-muted">{description}</Dialog.Description> : <Dialog.Description className="sr-only">{title}</Dialog.Description>}
            </div>
            <Dialog.Close className="rounded-md p-1 text-muted hover:bg-zinc-100 dark:hover:bg-zinc-800" aria-label="Close">
              <X size={16} />
            </Dialog.Close>
          </div>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

export function ConfirmDialog({
  open,
  onOpenChange,
  title,
  description,
  confirmLabel,
  danger,
  busy,
  onConfirm,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
}) {
  return (
    <Modal open={open} onOpenChange={onOpenChange} title={title} description={description}>
      <div className="mt-5 flex justify-end gap-2">
        <button className="btn" onClick={() => onOpenChange(false)}>
          Keep it
        </button>
        <button className={cx('btn', danger ? 'btn-danger' : 'btn-primary')} disabled={busy} onClick={onConfirm} autoFocus>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </Modal>
  );
}

export function Stat({ label, value, sub, icon }: { label: string; value: ReactNode; sub?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="card p-4">
      <div className="flex items-center justify-between text-xs font-medium text-muted">
        {label}
        {icon}
      </div>
      <div className="mt-2 text-2xl font-semibold tracking-tight tabular-nums">{value}</div>
      {sub && <div className="mt-0.5 text-xs text-muted">{sub}</div>}
    </div>
  );
}

export function Section({ title, actions, children, className }: { title: ReactNode; actions?: ReactNode; children: ReactNode; className?: string }) {
  return (
    <section className={cx('card overflow-hidden', className)}>
      <div className="flex items-center justify-between border-b border-app px-4 py-2.5">
        <h2 className="text-[13px] font-semibold">{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}
