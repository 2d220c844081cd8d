import { useQuery } from '@tanstack/react-query';
import { Monitor, Moon, Sun } from 'lucide-react';
import { PageHeader, Section, Skeleton, cx } from '../components/ui';
import { api } from '../lib/api';
import { formatBytes } from '../lib/format';
import { SHORTCUTS } from '../lib/keyboard';
import { useConnection } from '../lib/live';
import { setTheme, useTheme, type Theme } from '../lib/theme';
import { forgetToken } from '../lib/token';

export function SettingsPage() {
  const theme = useTheme();
  const ws = useQuery({ queryKey: ['workspace'], queryFn: () => api().workspace() });
  const health = useQuery({ queryKey: ['health'], queryFn: () => api().health() });
  const conn = useConnection();
  const rows: Array<[string, React.ReactNode]> = [
    ['Server address', <span className="font-mono">{window.location.origin}</span>],
    ['Server version', health.data?.version ?? <Skeleton className="h-4 w-16" />],
    ['Live connection', <span data-testid="settings-connection">{conn.state}</span>],
    ['Workspace folder', ws.data ? <span className="font-mono">{ws.data.dir}</span> : <Skeleton className="h-4 w-48" />],
    ['Database', ws.data ? formatBytes(ws.data.sizes.dbBytes) : '…'],
    ['Blobs', ws.data ? `${ws.data.sizes.blobCount.toLocaleString()} files, ${formatBytes(ws.data.sizes.blobBytes)}` : '…'],
    ['Total size', ws.data ? <span data-testid="workspace-size">{formatBytes(ws.data.sizes.dbBytes + ws.data.sizes.blobBytes)}</span> : '…'],
    ['Schema version', ws.data ? String(ws.data.schemaVersion) : '…'],
  ];
  const themes: Array<{ t: Theme; label: string; icon: typeof Sun }> = [
    { t: 'light', label: 'Light', icon: Sun },
    { t: 'dark', label: 'Dark', icon: Moon },
    { t: 'system', label: 'System', icon: Monitor },
  ];
  return (
    <div className="max-w-3xl space-y-5">
      <PageHeader title="Settings" />
      <Section title="Appearance">
        <div className="flex gap-2 p-4" role="radiogroup" aria-label="Theme">
          {themes.map(({ t, label, icon: Icon }) => (
            <button key={t} role="radio" aria-checked={theme === t} className={cx('btn h-9 flex-1', theme === t && 'border-accent-500 bg-accent-50 text-accent-700 dark:bg-accent-500/15 dark:text-accent-400')} onClick={() => setTheme(t)}>
              <Icon size={15} /> {label}
            </button>
          ))}
        </div>
      </Section>
      <Section title="Workspace and server">
        <dl className="divide-y divide-[var(--border)] text-[13px]">
          {rows.map(([k, v]) => (
            <div key={k} className="flex justify-between gap-4 px-4 py-2">
              <dt className="text-muted">{k}</dt>
              <dd className="min-w-0 truncate text-right">{v}</dd>
            </div>
          ))}
        </dl>
        <div className="border-t border-app px-4 py-3 text-xs text-muted">
          Free space with <code className="font-mono">wb gc</code> (empties the trash and removes blobs nothing refers to).
        </div>
      </Section>
      <Section title="Keyboard">
        <ul className="grid grid-cols-2 gap-x-6 gap-y-1.5 p-4 text-[13px]">
          {SHORTCUTS.map(([keys, what]) => (
            <li key={keys} className="flex justify-between">
              {what} <span className="kbd">{keys}</span>
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Access">
        <div className="flex items-center justify-between gap-4 p-4 text-[13px]">
          <span className="text-muted">This tab keeps the workspace token in session storage (never in the address bar). Forget it to lock this tab.</span>
          <button
            className="btn"
            onClick={() => {
              forgetToken();
              window.location.reload();
            }}
          >
            Forget token
          </button>
        </div>
      </Section>
    </div>
  );
}
