import { readFile, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** Socket inodes listening on a TCP port, from /proc/net/tcp and tcp6 (state 0A = LISTEN). */
export function parseListeningInodes(text: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = f[1]!;
    if (f[3] === '0A' && local.slice(local.lastIndexOf(':') + 1).toUpperCase() === hexPort && f[9] !== '0') out.push(f[9]!);
  }
  return out;
}

/**
 * The process that listens on a local TCP port (Linux; only processes this user may inspect).
 * Used to attribute GPU memory and RSS to a runtime's server. Null when not found.
 */
export async function pidListeningOn(port: number, procRoot = '/proc'): Promise<number | null> {
  if (process.platform !== 'linux' && procRoot === '/proc') return null;
  const inodes = new Set<string>();
  for (const f of ['tcp', 'tcp6']) {
    const text = await readFile(path.join(procRoot, 'net', f), 'utf8').catch(() => '');
    for (const i of parseListeningInodes(text, port)) inodes.add(`socket:[${i}]`);
  }
  if (inodes.size === 0) return null;
  const pids = (await readdir(procRoot).catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
  for (const pid of pids) {
    const fdDir = path.join(procRoot, pid, 'fd');
    const fds = await readdir(fdDir).catch(() => null);
    if (!fds) continue;
    for (const fd of fds) {
      const target = await readlink(path.join(fdDir, fd)).catch(() => null);
      if (target && inodes.has(target)) return Number(pid);
    }
  }
  return null;
}
