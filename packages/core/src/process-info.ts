import { readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * A process is identified by its pid *and* its start time, so a recycled pid is not mistaken
 * for the process that once had it. On Linux the start time is field 22 of /proc/<pid>/stat;
 * elsewhere we fall back to the pid alone.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const afterComm = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return afterComm[19] ?? null; // field 22 overall; fields 1-2 precede the slice
  } catch {
    return null;
  }
}

export function isAlive(pid: number, startTime?: string | null): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTime == null) return true;
  const current = processStartTime(pid);
  return current === null ? true : current === startTime;
}

export const hostName = (): string => os.hostname();
export const selfIdentity = (): { pid: number; start: string | null; host: string } => ({
  pid: process.pid,
  start: processStartTime(process.pid),
  host: hostName(),
});
