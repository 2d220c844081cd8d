import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { apiPrefix } from '@workbench/api';

/**
 * Short-lived links for artifact downloads. A browser download is a plain navigation: it
 * cannot send the Authorization header, and putting the workspace token in a link would leave
 * it in the download history. So a token-holding client asks for a link (POST
 * /runs/:id/artifact-links), and the link carries an expiry and an HMAC of its path under a
 * secret that lives only in this server process: it opens that one artifact, for a minute.
 */
export const DOWNLOAD_LINK_MS = 60_000;

const secret = randomBytes(32);
const ARTIFACT_PATH = new RegExp(`^${apiPrefix.replace(/\//g, '\\/')}\\/runs\\/[^/?#]+\\/artifacts\\/[^?#]+$`);

const sign = (path: string, exp: number): string => createHmac('sha256', secret).update(`download\u0000${path}\u0000${exp}`).digest('base64url');

/** The URL path of an artifact's download route (names may contain '/'). */
export function artifactPath(runId: string, name: string): string {
  return `${apiPrefix}/runs/${encodeURIComponent(runId)}/artifacts/${name.split('/').map(encodeURIComponent).join('/')}`;
}

export function signDownloadLink(path: string, now = Date.now()): { url: string; expiresAt: number } {
  const exp = now + DOWNLOAD_LINK_MS;
  return { url: `${path}?exp=${exp}&sig=${sign(path, exp)}`, expiresAt: exp };
}

/** Whether a request URL is an unexpired, untampered artifact link made by this process. */
export function downloadLinkValid(url: string, now = Date.now()): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const path = url.slice(0, q);
  if (!ARTIFACT_PATH.test(path)) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  const expText = params.get('exp');
  const sig = params.get('sig');
  if (!expText || !sig || !/^\d{1,16}$/.test(expText) || sig.length > 100) return false;
  const exp = Number(expText);
  if (exp < now || exp > now + DOWNLOAD_LINK_MS) return false;
  const want = Buffer.from(sign(path, exp));
  const got = Buffer.from(sig);
  return got.length === want.length && timingSafeEqual(got, want);
}
