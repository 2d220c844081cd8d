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

/** The last event seq, found with O(log n) one-event reads (the API has no "latest" query). */
export async function latestEventSeq(c: WorkbenchClient): Promise<number> {
  const has = async (after: number) => (await c.listEvents({ after, limit: 1 })).events.length > 0;
  if (!(await has(0))) return 0;
  let lo = 0;
  let hi = 1;
  while (await has(hi)) {
    lo = hi;
    hi *= 2;
  }
  // events after lo exist, none after hi: the last seq is in (lo, hi].
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (await has(mid)) lo = mid;
    else hi = mid;
  }
  return hi;
}
