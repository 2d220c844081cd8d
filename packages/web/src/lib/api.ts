import { WorkbenchApiError, WorkbenchClient } from '@workbench/sdk';

let current: WorkbenchClient | null = null;

export function initClient(token: string): WorkbenchClient {
  current = new WorkbenchClient({ baseUrl: window.location.origin, token, timeoutMs: 30_000 });
  return current;
}

/** The API client (the app renders pages only once it has a token). */
export function api(): WorkbenchClient {
  if (!current) throw new Error('no API client yet');
  return current;
}

export { WorkbenchApiError };

/** What went wrong and what to do, for a person. */
export function describeError(err: unknown): { title: string; hint: string } {
  if (err instanceof WorkbenchApiError) {
    if (err.code === 'UNAUTHORIZED')
      return { title: 'The workspace token was refused', hint: 'Open the address that `wb serve` printed (it ends with ?token=…), or paste the token from the file "token" in the workspace folder.' };
    if (err.code === 'UNAVAILABLE' || err.status === 0) return { title: 'Cannot reach the Workbench server', hint: 'Is it still running? Start it again with `wb serve`; this page reconnects by itself.' };
    if (err.code === 'NOT_FOUND') return { title: err.message, hint: err.hint ?? 'It may have been deleted, or the link is wrong.' };
    return { title: err.message, hint: err.hint ?? '' };
  }
  return { title: err instanceof Error ? err.message : String(err), hint: '' };
}

/** The newest event seq: live following starts after it. */
export async function latestEventSeq(c: WorkbenchClient): Promise<number> {
  return (await c.listEvents({ limit: 1 })).headSeq;
}
