import * as Dialog from '@radix-ui/react-dialog';
import { useQuery } from '@tanstack/react-query';
import { Command } from 'cmdk';
import { Activity, Boxes, Database, Keyboard, Moon, Package, Sun, SunMoon } from 'lucide-react';
import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../lib/api';
import { shortId } from '../lib/format';
import { setKeyboardHelp } from '../lib/keyboard';
import { NAV, SETTINGS_NAV } from '../lib/nav';
import { setTheme, type Theme } from '../lib/theme';
import { StatusBadge } from './ui';

// ---- open state, shared with the sidebar button and the shortcut ------------------------
let open = false;
const listeners = new Set<() => void>();
function setOpen(next: boolean): void {
  open = next;
  for (const l of listeners) l();
}
export const openCommandPalette = (): void => setOpen(true);
function usePaletteOpen(): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => open,
  );
}

/** What the server is asked for while typing: after a short pause, not on every key. */
function useDebounced(value: string, ms: number): string {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = window.setTimeout(() => setV(value), ms);
    return () => window.clearTimeout(t);
  }, [value, ms]);
  return v;
}

const RUN_RESULTS = 8;

function Item({ value, keywords, onSelect, icon, children, hint }: { value: string; keywords?: string[]; onSelect: () => void; icon?: ReactNode; children: ReactNode; hint?: ReactNode }) {
  return (
    <Command.Item
      value={value}
      keywords={keywords}
      onSelect={onSelect}
      className="flex cursor-pointer items-center gap-2.5 rounded-lg px-2.5 py-1.5 text-[13px] data-[selected=true]:bg-accent-50 data-[selected=true]:text-accent-700 dark:data-[selected=true]:bg-accent-500/10 dark:data-[selected=true]:text-accent-400"
    >
      <span className="text-muted">{icon}</span>
      <span className="min-w-0 flex-1 truncate">{children}</span>
      {hint && <span className="shrink-0 text-[11px] text-zinc-600 dark:text-zinc-400">{hint}</span>}
    </Command.Item>
  );
}

const groupClass = 'px-1 pb-1 [&_[cmdk-group-heading]]:px-2.5 [&_[cmdk-group-heading]]:pt-2 [&_[cmdk-group-heading]]:pb-1 [&_[cmdk-group-heading]]:text-[11px] [&_[cmdk-group-heading]]:font-medium [&_[cmdk-group-heading]]:text-muted';

/**
 * Ctrl-K / ⌘-K: go to any page, project, dataset, model or run by typing part of its name, and
 * switch the theme. Pages and actions are filtered in the page; runs are looked up on the server
 * by name, so a workspace with 10,000 runs finds any of them without loading the list.
 */
export function CommandPalette() {
  const isOpen = usePaletteOpen();
  const navigate = useNavigate();
  const [search, setSearch] = useState('');
  const term = useDebounced(search.trim(), 150);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        setOpen(!open);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (!isOpen) setSearch('');
  }, [isOpen]);

  const projects = useQuery({ queryKey: ['palette', 'projects'], queryFn: () => api().listProjects(), enabled: isOpen, staleTime: 10_000 });
  const datasets = useQuery({ queryKey: ['palette', 'datasets'], queryFn: () => api().listDatasets(), enabled: isOpen, staleTime: 10_000 });
  const models = useQuery({ queryKey: ['palette', 'models'], queryFn: () => api().listModels(), enabled: isOpen, staleTime: 10_000 });
  const runs = useQuery({ queryKey: ['palette', 'runs', term], queryFn: () => api().listRuns(term ? { name: term, limit: RUN_RESULTS } : { limit: RUN_RESULTS }), enabled: isOpen, staleTime: 5_000 });

  const go = (to: string) => {
    setOpen(false);
    navigate(to);
  };
  const act = (fn: () => void) => {
    setOpen(false);
    fn();
  };
  // Things with a name and a page: found by typing the name.
  const named: Array<{ heading: string; icon: ReactNode; items: Array<{ id: string; value: string; label: string; to: string }> }> = [
    { heading: 'Projects', icon: <Boxes size={14} />, items: (projects.data ?? []).map((p) => ({ id: p.id, value: `project ${p.name}`, label: p.name, to: `/projects/${encodeURIComponent(p.name)}` })) },
    {
      heading: 'Datasets',
      icon: <Database size={14} />,
      items: (datasets.data ?? []).map((d) => ({ id: d.id, value: `dataset ${d.name}@${d.version} ${d.id}`, label: `${d.name}@${d.version}`, to: `/datasets/${encodeURIComponent(d.id)}` })),
    },
    { heading: 'Models', icon: <Package size={14} />, items: (models.data ?? []).map((m) => ({ id: m.id, value: `model ${m.name}`, label: m.name, to: `/models/${encodeURIComponent(m.name)}` })) },
  ];
  const themes: Array<[Theme, string, ReactNode]> = [
    ['light', 'Light theme', <Sun size={14} />],
    ['dark', 'Dark theme', <Moon size={14} />],
    ['system', 'Theme follows the system', <SunMoon size={14} />],
  ];

  return (
    <Dialog.Root open={isOpen} onOpenChange={setOpen}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 z-40 bg-black/40 backdrop-blur-[2px]" />
        <Dialog.Content className="fixed top-[14%] left-1/2 z-50 w-[calc(100vw-2rem)] max-w-xl -translate-x-1/2 overflow-hidden rounded-2xl border border-app bg-panel shadow-2xl" data-testid="command-palette">
          <Dialog.Title className="sr-only">Go to</Dialog.Title>
          <Dialog.Description className="sr-only">Type part of the name of a page, project, dataset, model or run; Enter opens it.</Dialog.Description>
          <Command label="Go to" loop>
            <Command.Input
              value={search}
              onValueChange={setSearch}
              placeholder="Go to a page, project, dataset, model or run…"
              className="w-full border-b border-app bg-transparent px-4 py-3 text-[14px] outline-none placeholder:text-muted"
              data-testid="palette-input"
            />
            <Command.List className="max-h-[55vh] overflow-y-auto py-1">
              <Command.Empty className="px-4 py-6 text-center text-[13px] text-muted">{runs.isFetching ? 'Searching…' : `Nothing named “${search}”.`}</Command.Empty>
              <Command.Group heading="Pages" className={groupClass}>
                {[...NAV, SETTINGS_NAV].map((n) => (
                  <Item key={n.to} value={`page ${n.label}`} keywords={[n.to, ...(n.keywords ?? [])]} onSelect={() => go(n.to)} icon={<n.icon size={14} />} hint={n.keys}>
                    {n.label}
                  </Item>
                ))}
              </Command.Group>
              {(runs.data?.runs.length ?? 0) > 0 && (
                <Command.Group heading={term ? 'Runs' : 'Recent runs'} className={groupClass}>
                  {runs.data!.runs.map((r) => (
                    <Item key={r.id} value={`run ${r.name} ${r.id}`} keywords={[term]} onSelect={() => go(`/runs/${r.id}`)} icon={<Activity size={14} />} hint={<StatusBadge status={r.status} />}>
                      {r.name} <span className="font-mono text-[11px] text-zinc-600 dark:text-zinc-400">{shortId(r.id)}</span>
                    </Item>
                  ))}
                </Command.Group>
              )}
              {named.map(
                (g) =>
                  g.items.length > 0 && (
                    <Command.Group key={g.heading} heading={g.heading} className={groupClass}>
                      {g.items.map((x) => (
                        <Item key={x.id} value={x.value} onSelect={() => go(x.to)} icon={g.icon}>
                          {x.label}
                        </Item>
                      ))}
                    </Command.Group>
                  ),
              )}
              <Command.Group heading="Actions" className={groupClass}>
                {themes.map(([t, label, icon]) => (
                  <Item key={t} value={`action ${label}`} keywords={['theme', t]} onSelect={() => act(() => setTheme(t))} icon={icon}>
                    {label}
                  </Item>
                ))}
                <Item value="action Keyboard shortcuts" keywords={['help', 'keys']} onSelect={() => act(() => setKeyboardHelp(true))} icon={<Keyboard size={14} />} hint="?">
                  Keyboard shortcuts
                </Item>
              </Command.Group>
            </Command.List>
          </Command>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
