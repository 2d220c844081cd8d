import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/** One replacement, written and fsynced before the file is touched. */
export interface JournalEntry {
  op: 'replace';
  /** The path that now shares (or will share) the kept file's bytes. */
  path: string;
  keep: string;
  sha256: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  method: 'hardlink' | 'reflink' | 'symlink';
  /** The temporary name in the same folder; left over only if the process died in between. */
  tmp: string;
}
type Line = JournalEntry | { op: 'done'; path: string } | { op: 'undone'; path: string };

export const journalDir = (stateDir: string) => path.join(stateDir, 'journal');

/**
 * An append-only, fsynced log of a dedup run. A replacement is journalled before it happens,
 * so `wb cache undo` can always give each path its own copy back, even after a SIGKILL.
 */
export class Journal {
  private fd: number;
  constructor(readonly file: string) {
    this.fd = openSync(file, 'a', 0o600);
    // The journal folder's entry must survive a crash too.
    const dfd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  }
  append(line: Line, durable = true): void {
    writeSync(this.fd, JSON.stringify(line) + '\n');
    if (durable) fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

export interface JournalFile {
  file: string;
  entries: JournalEntry[];
  done: Set<string>;
  undone: Set<string>;
}

/** Journals oldest first; a torn last line (killed mid-write) is ignored. */
export async function readJournals(stateDir: string, opts: { includeUndone?: boolean } = {}): Promise<JournalFile[]> {
  let names: string[];
  try {
    names = (await readdir(journalDir(stateDir))).filter((n) => n.endsWith('.jsonl') && (opts.includeUndone || !n.endsWith('.undone.jsonl'))).sort();
  } catch {
    return [];
  }
  const out: JournalFile[] = [];
  for (const n of names) {
    const file = path.join(journalDir(stateDir), n);
    const jf: JournalFile = { file, entries: [], done: new Set(), undone: new Set() };
    for (const raw of (await readFile(file, 'utf8')).split('\n')) {
      if (!raw.trim()) continue;
      let l: Line;
      try {
        l = JSON.parse(raw) as Line;
      } catch {
        continue;
      }
      if (l.op === 'replace') jf.entries.push(l);
      else if (l.op === 'done') jf.done.add(l.path);
      else if (l.op === 'undone') jf.undone.add(l.path);
    }
    out.push(jf);
  }
  return out;
}

export async function retireJournal(file: string): Promise<void> {
  await rename(file, file.replace(/\.jsonl$/, '.undone.jsonl'));
}
