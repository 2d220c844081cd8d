import { FlaskConical, Moon, Search, Settings, Sun, SunMoon, WifiOff, X } from 'lucide-react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { useGlobalKeys } from '../lib/keyboard';
import { useConnection } from '../lib/live';
import { setTheme, useTheme, type Theme } from '../lib/theme';
import { dismissToast, useToasts } from '../lib/toast';
import { NAV } from '../lib/nav';
import { CommandPalette, openCommandPalette } from './CommandPalette';
import { KeyboardHelp } from './KeyboardHelp';
import { cx } from './ui';


function ConnectionPill({ testId = 'connection' }: { testId?: string }) {
  const { state } = useConnection();
  if (state === 'online')
    return (
      <span className="inline-flex items-center gap-1.5 text-[11px] text-muted" data-testid={testId} data-state="online">
        <span className="size-1.5 rounded-full bg-emerald-500" /> live
      </span>
    );
  if (state === 'connecting')
    return (
      <span className="inline-flex items-center gap-1.5 text-[11px] text-muted" data-testid={testId} data-state="connecting">
        <span className="size-1.5 animate-pulse rounded-full bg-zinc-400" /> connecting
      </span>
    );
  return (
    <span className="inline-flex items-center gap-1.5 text-[11px] font-medium text-red-600 dark:text-red-400" data-testid={testId} data-state="offline">
      <WifiOff size={12} /> offline
    </span>
  );
}

function OfflineBanner() {
  const { state } = useConnection();
  if (state !== 'offline') return null;
  return (
    <div role="status" data-testid="offline-banner" className="flex items-center justify-center gap-2 border-b border-red-200 bg-red-50 px-4 py-1.5 text-[12.5px] text-red-800 dark:border-red-500/30 dark:bg-red-500/10 dark:text-red-200">
      <WifiOff size={13} />
      The Workbench server cannot be reached. Reconnecting by itself… (is <code className="font-mono">wb serve</code> still running?)
    </div>
  );
}

function ThemeSwitch() {
  const theme = useTheme();
  const next: Record<Theme, Theme> = { system: 'light', light: 'dark', dark: 'system' };
  const Icon = theme === 'light' ? Sun : theme === 'dark' ? Moon : SunMoon;
  return (
    <button className="btn btn-ghost h-7 px-2 text-muted" onClick={() => setTheme(next[theme])} title={`Theme: ${theme} (click to change)`} aria-label={`Theme: ${theme}`} data-testid="theme-toggle">
      <Icon size={15} />
    </button>
  );
}

function Toaster() {
  const toasts = useToasts();
  return (
    <div className="pointer-events-none fixed right-4 bottom-4 z-[60] flex w-80 flex-col gap-2" aria-live="polite">
      {toasts.map((t) => (
        <div
          key={t.id}
          role="status"
          className={cx(
            'pointer-events-auto flex items-start gap-2 rounded-xl border bg-panel p-3 shadow-lg',
            t.kind === 'error' ? 'border-red-300 dark:border-red-500/40' : t.kind === 'success' ? 'border-emerald-300 dark:border-emerald-500/40' : 'border-app',
          )}
          ref={(el) => {
            if (el && !el.dataset.timer) el.dataset.timer = String(window.setTimeout(() => dismissToast(t.id), t.kind === 'error' ? 8000 : 4000));
          }}
        >
          <div className="flex-1">
            <div className="text-[13px] font-medium">{t.title}</div>
            {t.description && <div className="mt-0.5 text-xs text-muted">{t.description}</div>}
          </div>
          <button className="text-muted hover:text-current" onClick={() => dismissToast(t.id)} aria-label="Dismiss">
            <X size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

export function Layout() {
  useGlobalKeys();
  const loc = useLocation();
  return (
    <>
      <div className="flex h-full">
        <aside className="hidden w-56 shrink-0 flex-col border-r border-app bg-panel md:flex">
          <div className="flex h-12 items-center gap-2 px-4">
            <div className="flex size-6 items-center justify-center rounded-md bg-accent-600 text-white">
              <FlaskConical size={14} />
            </div>
            <span className="text-[14px] font-semibold tracking-tight">Workbench</span>
          </div>
          <div className="px-2 pt-1">
            <button
              className="flex w-full items-center gap-2 rounded-lg border border-app px-2.5 py-1.5 text-[13px] text-muted hover:bg-zinc-100 dark:hover:bg-zinc-800/70"
              onClick={openCommandPalette}
              data-testid="open-palette"
            >
              <Search size={14} />
              <span className="flex-1 text-left">Go to…</span>
              <span className="kbd">Ctrl K</span>
            </button>
          </div>
          <nav className="flex-1 space-y-0.5 px-2 py-2" aria-label="Main">
            {NAV.map((n) => (
              <NavLink
                key={n.to}
                to={n.to}
                end={n.end ?? false}
                className={({ isActive }) =>
                  cx(
                    'group flex items-center gap-2.5 rounded-lg px-2.5 py-1.5 text-[13px] font-medium transition-colors',
                    isActive || (n.to === '/runs' && /^\/runs\/(?!new)/.test(loc.pathname)) ? 'bg-accent-50 text-accent-700 dark:bg-accent-500/10 dark:text-accent-400' : 'text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800/70',
                  )
                }
              >
                <n.icon size={15} />
                <span className="flex-1">{n.label}</span>
                <span className="hidden font-mono text-[10px] text-muted group-hover:inline">{n.keys}</span>
              </NavLink>
            ))}
          </nav>
          <div className="border-t border-app px-2 py-2">
            <NavLink to="/settings" className={({ isActive }) => cx('flex items-center gap-2.5 rounded-lg px-2.5 py-1.5 text-[13px] font-medium', isActive ? 'bg-accent-50 text-accent-700 dark:bg-accent-500/10 dark:text-accent-400' : 'text-zinc-600 hover:bg-zinc-100 dark:text-zinc-400 dark:hover:bg-zinc-800/70')}>
              <Settings size={15} /> Settings
            </NavLink>
            <div className="mt-2 flex items-center justify-between px-2.5">
              <ConnectionPill />
              <ThemeSwitch />
            </div>
          </div>
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <OfflineBanner />
          <div className="flex items-center justify-between border-b border-app bg-panel px-4 py-2 md:hidden">
            <span className="font-semibold">Workbench</span>
            <div className="flex gap-3 text-[13px]">
              {NAV.slice(0, 4).map((n) => (
                <NavLink key={n.to} to={n.to}>
                  {n.label}
                </NavLink>
              ))}
              <ConnectionPill testId="connection-mobile" />
            </div>
          </div>
          <main className="min-h-0 flex-1 overflow-y-auto" id="main">
            <div className="mx-auto max-w-[1400px] px-6 py-6">
              <Outlet />
            </div>
          </main>
        </div>
      </div>
      <Toaster />
      <KeyboardHelp />
      <CommandPalette />
    </>
  );
}
