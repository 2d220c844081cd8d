import { existsSync } from 'node:fs';
import path from 'node:path';
import { chromiumPath, cliBin, root } from './helpers';

/** Say plainly what is missing instead of failing every test on it. */
export default function setup(): void {
  const missing: string[] = [];
  if (!existsSync(cliBin)) missing.push(`the CLI bundle (${path.relative(root, cliBin)}): run npm run build`);
  if (!existsSync(path.join(root, 'packages/web/dist/index.html'))) missing.push('the web app build (packages/web/dist): run npm run build -w @workbench/web');
  if (!existsSync(chromiumPath)) missing.push(`Chromium at ${chromiumPath}: apt-get install -y chromium (or set WB_CHROMIUM)`);
  if (missing.length) throw new Error(`the browser tests need:\n  - ${missing.join('\n  - ')}`);
}
