/**
 * A short reason for a failed call that says what is wrong with the endpoint, from the
 * error and its causes (undici puts the socket error in `cause`; the clients wrap it again).
 */
export function describeFailure(err: unknown, timeoutMs: number): string {
  const seen = new Set<unknown>();
  let e: unknown = err;
  let status: number | null = null;
  let statusText = '';
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const o = e as { code?: unknown; name?: unknown; status?: unknown; status_code?: unknown; message?: unknown; cause?: unknown; error?: unknown };
    const code = typeof o.code === 'string' ? o.code : '';
    if (code === 'ECONNREFUSED') return 'connection refused';
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
    if (o.name === 'TimeoutError' || o.name === 'APIConnectionTimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') return `timeout after ${timeoutMs} ms`;
    if (o.name === 'AbortError') return 'cancelled';
    const s = typeof o.status === 'number' ? o.status : typeof o.status_code === 'number' ? o.status_code : null;
    if (s !== null && status === null) {
      status = s;
      statusText = typeof o.message === 'string' ? o.message.split('\n')[0]!.slice(0, 120) : '';
    }
    e = o.cause;
  }
  if (status !== null) return `HTTP ${status}${statusText && !statusText.startsWith(String(status)) ? ` (${statusText})` : ''}`;
  return err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200);
}

/** fetch with a deadline on top of whatever signal the client passes. */
export function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return (input, init) => {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (init?.signal) signals.push(init.signal);
    return fetch(input, { ...init, signal: AbortSignal.any(signals) });
  };
}
