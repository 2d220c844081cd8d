import tailwindcss from '@tailwindcss/vite';
import react from '@vitejs/plugin-react';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';

// The component harness: the log console and the charts on a page of their own, driven by
// the browser tests and the benchmarks (never part of the app's build).
const here = path.dirname(fileURLToPath(import.meta.url));
export default defineConfig({
  root: here,
  base: './',
  plugins: [react(), tailwindcss()],
  resolve: { conditions: ['wb-source', ...defaultClientConditions] },
  logLevel: 'warn',
  build: { emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 5000, rollupOptions: { external: ['ws'] } },
});
