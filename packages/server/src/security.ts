import { createHash, timingSafeEqual } from 'node:crypto';

const LOCAL_NAMES = new Set(['127.0.0.1', 'localhost', '::1']);

/**
 * DNS-rebinding defence: a page on evil.com that resolves its own name to 127.0.0.1 still
 * sends `Host: evil.com`. Only the loopback names are accepted, with our port or none.
 * `port` null (an app not listening yet, e.g. under `inject`) checks the name only.
 */
export function isAllowedHost(host: string | undefined, port: number | null): boolean {
  if (!host) return false;
  let name: string;
  let p: string | undefined;
  if (host.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(host);
    if (!m) return false;
    name = m[1]!;
    p = m[2];
  } else {
    const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host);
    if (!m) return false;
    name = m[1]!;
    p = m[2];
  }
  if (!LOCAL_NAMES.has(name.toLowerCase())) return false;
  if (p === undefined || port === null) return true;
  return Number(p) === port;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison (of digests, so lengths never leak either). */
export function tokenMatches(given: string | undefined | null, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
  return timingSafeEqual(digest(given), digest(token));
}

/** The token a request carries: `Authorization: Bearer <token>`, else `?token=`. */
export function requestToken(headers: Record<string, string | string[] | undefined>, query: unknown): string | null {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const q = (query ?? {}) as Record<string, unknown>;
  const t = q.token;
  if (typeof t === 'string') return t;
  if (Array.isArray(t) && typeof t[0] === 'string') return t[0];
  return null;
}

/** A URL fit for logs: the token query parameter is replaced. */
export function redactUrl(url: string | undefined): string {
  if (!url) return '';
  return url.replace(/([?&]token=)[^&#]*/gi, '$1[redacted]');
}
