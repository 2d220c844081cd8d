import { useSyncExternalStore } from 'react';

export interface ToastItem {
  id: number;
  title: string;
  description?: string | undefined;
  kind: 'info' | 'success' | 'error';
}

let items: ToastItem[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => {
  for (const l of listeners) l();
};

export function toast(title: string, opts: { description?: string; kind?: ToastItem['kind'] } = {}): void {
  items = [...items, { id: nextId++, title, description: opts.description, kind: opts.kind ?? 'info' }].slice(-5);
  emit();
}

export function dismissToast(id: number): void {
  items = items.filter((t) => t.id !== id);
  emit();
}

export function useToasts(): ToastItem[] {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => items,
  );
}
