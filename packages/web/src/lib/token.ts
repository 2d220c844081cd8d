/**
 * The workspace token. `wb serve` prints a URL that carries it once as `?token=`; like the
 * server's built-in page, the app moves it into sessionStorage at once and takes it out of the
 * address bar (so it is neither bookmarked, shared, nor kept in history), then sends it as
 * `Authorization: Bearer` (and `?token=` for the WebSocket, which cannot carry headers).
 */
export const TOKEN_KEY = 'wb-token';

export function takeToken(loc: Location = window.location): string | null {
  const url = new URL(loc.href);
  let token = url.searchParams.get('token');
  if (token) {
    try {
      sessionStorage.setItem(TOKEN_KEY, token);
    } catch {
      /* storage disabled: the token lives for this page only */
    }
    url.searchParams.delete('token');
    history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  } else {
    try {
      token = sessionStorage.getItem(TOKEN_KEY);
    } catch {
      token = null;
    }
  }
  return token && token.trim() ? token.trim() : null;
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    /* ignore */
  }
}

export function forgetToken(): void {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* ignore */
  }
}
