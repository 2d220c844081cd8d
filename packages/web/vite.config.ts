import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// The sibling packages are used from their TypeScript sources (the `wb-source` export
// condition). The SDK imports the Node-only `ws` package only when it runs in Node, through a
// computed specifier; it is marked external here so it can never be pulled into the bundle.
export default defineConfig({
  plugins: [react(), tailwindcss()],
  resolve: { conditions: ['wb-source', ...defaultClientConditions] },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    rollupOptions: { external: ['ws'] },
  },
  server: {
    // `npm run dev -w @workbench/web` with WB_SERVER=http://127.0.0.1:7878 proxies the API.
    proxy: process.env.WB_SERVER ? { '/api': { target: process.env.WB_SERVER, ws: true } } : {},
  },
});
