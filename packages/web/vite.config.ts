import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

// The built page forbids inline scripts and any origin but its own (the token lives in
// sessionStorage: no injected script may read it). Build only: the dev server's React refresh
// preamble is an inline script.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  // Loopback HTTP too: the Playground talks to local LLM servers (wb llm serve, Ollama) directly.
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:* ws://[::1]:* http://127.0.0.1:* http://localhost:* http://[::1]:*",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

const contentSecurityPolicy = (): Plugin => ({
  name: 'workbench-csp',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
});

// The sibling packages are used from their TypeScript sources (the `wb-source` export
// condition). The SDK imports the Node-only `ws` package only when it runs in Node, through a
// computed specifier; it is marked external here so it can never be pulled into the bundle.
export default defineConfig({
  plugins: [react(), tailwindcss(), contentSecurityPolicy()],
  resolve: { conditions: ['wb-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      external: ['ws'],
      // @workbench/api's modules only declare zod schemas and constants: the app uses its
      // types and a few constants, so unused schemas (and zod with them) are dropped.
      treeshake: { moduleSideEffects: (id: string) => !/[\\/]packages[\\/]api[\\/]src[\\/]/.test(id) },
    },
  },
  server: {
    // `npm run dev -w @workbench/web` with WB_SERVER=http://127.0.0.1:7878 proxies the API.
    proxy: process.env.WB_SERVER ? { '/api': { target: process.env.WB_SERVER, ws: true } } : {},
  },
});
