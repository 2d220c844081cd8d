import { useEffect, useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark' | 'system';
const KEY = 'wb-theme';
const listeners = new Set<() => void>();

function read(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === 'light' || t === 'dark' ? t : 'system';
  } catch {
    return 'system';
  }
}

const media = () => window.matchMedia('(prefers-color-scheme: dark)');

export function applyTheme(t: Theme = read()): void {
  const dark = t === 'dark' || (t === 'system' && media().matches);
  document.documentElement.classList.toggle('dark', dark);
  document.documentElement.style.colorScheme = dark ? 'dark' : 'light';
}

export function setTheme(t: Theme): void {
  try {
    localStorage.setItem(KEY, t);
  } catch {
    /* ignore */
  }
  applyTheme(t);
  for (const l of listeners) l();
}

export function useTheme(): Theme {
  const t = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    read,
  );
  useEffect(() => {
    const m = media();
    const on = () => applyTheme();
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return t;
}

/** Whether the page is dark now (for charts, which draw with explicit colours). */
export function useIsDark(): boolean {
  useTheme();
  return useSyncExternalStore(
    (l) => {
      const obs = new MutationObserver(l);
      obs.observe(document.documentElement, { attributes: true, attributeFilter: ['class'] });
      return () => obs.disconnect();
    },
    () => document.documentElement.classList.contains('dark'),
  );
}
