import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, TokenGate } from './App';
import { initClient, WorkbenchApiError } from './lib/api';
import { startLiveUpdates } from './lib/live';
import { applyTheme } from './lib/theme';
import { forgetToken, takeToken } from './lib/token';
import './index.css';

applyTheme();
const token = takeToken();
const root = createRoot(document.getElementById('root')!);

function gate(refused: boolean) {
  root.render(
    <StrictMode>
      <TokenGate refused={refused} />
    </StrictMode>,
  );
}

if (!token) {
  gate(false);
} else {
  const client = initClient(token);
  let stopLive: (() => void) | null = null;
  let refused = false;
  const qc = new QueryClient({
    // A refused token (a stale tab after the workspace changed, a mistyped paste) sends the
    // user back to the token page instead of showing the same error on every panel.
    queryCache: new QueryCache({
      onError: (err) => {
        if (refused || !(err instanceof WorkbenchApiError) || err.code !== 'UNAUTHORIZED') return;
        refused = true;
        stopLive?.();
        forgetToken();
        gate(true);
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 5_000,
        refetchOnWindowFocus: false,
        retry: (n, err) => !(err instanceof WorkbenchApiError && (err.code === 'NOT_FOUND' || err.code === 'UNAUTHORIZED' || err.code === 'INVALID_INPUT')) && n < 2,
      },
    },
  });
  stopLive = startLiveUpdates(client, qc);
  root.render(
    <StrictMode>
      <QueryClientProvider client={qc}>
        <App />
      </QueryClientProvider>
    </StrictMode>,
  );
}
