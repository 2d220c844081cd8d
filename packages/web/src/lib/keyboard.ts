import { useEffect, useSyncExternalStore } from 'react';
import { useNavigate } from 'react-router';

const isTyping = (t: EventTarget | null): boolean => {
  const el = t as HTMLElement | null;
  if (!el) return false;
  const tag = el.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || el.isContentEditable;
};

/** When `g` was pressed (0: not pending); module-level so a re-render between the keys keeps it. */
let gAt = 0;
const CHORD_MS = 2000;

/** Chords after `g`: where they go. */
export const GO_KEYS: Record<string, string> = { h: '/', r: '/runs', p: '/projects', d: '/datasets', c: '/compare', n: '/runs/new', s: '/settings' };

// ---- the `?` help dialog's open state ----------------------------------------------------
let helpOpen = false;
const helpListeners = new Set<() => void>();
export function setKeyboardHelp(open: boolean): void {
  helpOpen = open;
  for (const l of helpListeners) l();
}
export function useKeyboardHelp(): boolean {
  return useSyncExternalStore(
    (l) => {
      helpListeners.add(l);
      return () => helpListeners.delete(l);
    },
    () => helpOpen,
  );
}

/** Every shortcut, for the help dialog and the settings page. */
export const SHORTCUTS: Array<[string, string]> = [
  ['/', 'Focus the search box'],
  ['?', 'Show these shortcuts'],
  ['Ctrl K', 'Go to any page, project, dataset, model or run'],
  ['Esc', 'Close a dialog'],
  ...Object.entries(GO_KEYS).map(([k, to]): [string, string] => [`g ${k}`, to === '/runs/new' ? 'Start a run' : `Go to ${to === '/' ? 'the dashboard' : to.slice(1)}`]),
];

/**
 * `?` shows the shortcuts, `/` focuses the page's search box (the element marked data-search), `g` then a letter
 * navigates (g r runs, g p projects, …). Esc closing dialogs is Radix's.
 */
export function useGlobalKeys(): void {
  const navigate = useNavigate();
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || isTyping(e.target)) return;
      if (document.querySelector('[role="dialog"]')) return;
      if (e.key === '?') {
        e.preventDefault();
        setKeyboardHelp(true);
        return;
      }
      if (e.key === '/') {
        const el = document.querySelector<HTMLInputElement>('[data-search]');
        if (el) {
          e.preventDefault();
          el.focus();
          el.select();
        }
        return;
      }
      if (e.key === 'g') {
        gAt = Date.now();
        return;
      }
      if (gAt && Date.now() - gAt < CHORD_MS) {
        gAt = 0;
        const to = GO_KEYS[e.key];
        if (to) {
          e.preventDefault();
          navigate(to);
        }
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [navigate]);
}
