// Bundles the `wb` command into a few files. Node's ESM loader pays per file, and Kysely,
// zod and Fastify are hundreds of small files: unbundled, `wb project list` spends most of
// its time loading modules. The native SQLite driver stays external.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [path.join(root, 'packages/cli/src/bin.ts')],
  outdir: path.join(root, 'packages/cli/dist/bundle'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['wb-source'],
  external: ['better-sqlite3', 'node-llama-cpp', 'onnxruntime-node'],
  sourcemap: true,
  define: { __WB_VERSION__: JSON.stringify(JSON.parse(readFileSync(path.join(root, 'packages/cli/package.json'), 'utf8')).version) },
  logLevel: 'warning',
  banner: { js: "import { createRequire as __wbCreateRequire } from 'node:module'; const require = __wbCreateRequire(import.meta.url);" },
});
