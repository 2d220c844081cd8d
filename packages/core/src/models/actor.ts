import os from 'node:os';
import { invalid } from '../errors.js';

/**
 * Who acts. Every change records an actor: `cli:alice` from the CLI, `api:bob` from the HTTP
 * API when the caller names a user, a bare `server` or `runner` for the machine itself. The
 * person is the part after the channel, so `cli:alice` and `api:alice` are the same person.
 *
 * Without team mode a name is what the caller says it is: on one machine it is a convention
 * between colleagues, not a security boundary. Team mode will authenticate it; everything
 * built on it (who may approve what) stays as it is.
 */
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

export function checkUserName(name: string, from: string): string {
  const trimmed = name.trim();
  if (!USER_NAME.test(trimmed)) throw invalid(`${from} '${name.slice(0, 80)}' is not a user name`, "use 1-64 letters, digits, '.', '_', '@', '+' or '-', starting with a letter or digit");
  return trimmed;
}

/** `cli:alice` → `alice`; an actor that names no person (`server`, `runner`) → null. */
export function personOf(actor: string): string | null {
  const colon = actor.indexOf(':');
  if (colon < 0) return null;
  const name = actor.slice(colon + 1);
  return USER_NAME.test(name) ? name : null;
}

/** Names are compared without case: `Alice` approving `alice`'s request is still alice. */
export const samePerson = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function osUserName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined; // no passwd entry (some containers)
  }
}

/** The CLI's actor: `--as NAME`, else `$WB_USER`, else the operating-system user. */
export function cliActor(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined) return `cli:${checkUserName(explicit, '--as')}`;
  if (env.WB_USER) return `cli:${checkUserName(env.WB_USER, 'WB_USER')}`;
  const fallback = osUserName() ?? env.USER ?? 'user';
  return `cli:${USER_NAME.test(fallback) ? fallback : 'user'}`;
}

/** The HTTP API's actor: the user the caller names (X-Workbench-Actor), else the server itself. */
export function apiActor(header: string | string[] | undefined): string {
  const name = Array.isArray(header) ? header[0] : header;
  if (name === undefined || name.trim() === '') return 'server';
  return `api:${checkUserName(name, 'X-Workbench-Actor')}`;
}
