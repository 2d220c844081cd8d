/** Small fetch helpers that keep what a conformance check needs to judge: status, headers, raw text, time. */
export interface Exchange {
  status: number;
  contentType: string;
  text: string;
  /** Nanoseconds from sending to the end of the body, measured here. */
  wallNs: number;
}

export async function exchange(base: string, method: 'GET' | 'POST', path: string, body: unknown, timeoutMs: number): Promise<Exchange> {
  const t0 = process.hrtime.bigint();
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, wallNs: Number(process.hrtime.bigint() - t0) };
}

export function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
