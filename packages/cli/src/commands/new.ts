import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { table } from '../output.js';

const STARTERS: Record<string, string> = {
  'chat-app': 'a terminal chat with streamed replies and timings',
  'doc-analyzer': "summarise documents longer than the model's context, part by part",
  'image-captioner': 'caption images with a vision model (needs Ollama with one: the built-in engine has no vision)',
};

/** templates/apps and packages/sdk in the Workbench checkout this command runs from. */
async function locate(): Promise<{ apps: string; sdkLlm: string; sdkVersion: string }> {
  const { findUp, OperationalError } = await import('@workbench/core');
  const root = findUp(import.meta.url, path.join('templates', 'apps'), 10);
  const apps = process.env.WB_APP_TEMPLATES_DIR ?? (root ? path.join(root, 'templates', 'apps') : undefined);
  const sdk = root ? path.join(root, 'packages', 'sdk') : undefined;
  if (!apps || !sdk || !existsSync(apps)) throw new OperationalError('DEPENDENCY_MISSING', 'the app starters (templates/apps) are not next to this wb', { hint: 'run wb from a Workbench checkout' });
  const sdkLlm = path.join(sdk, 'dist', 'llm');
  if (!existsSync(path.join(sdkLlm, 'index.js'))) throw new OperationalError('DEPENDENCY_MISSING', `the SDK is not built (${sdkLlm} is missing)`, { hint: 'run npm run build in the Workbench checkout' });
  const sdkVersion = (JSON.parse(await readFile(path.join(sdk, 'package.json'), 'utf8')) as { version: string }).version;
  return { apps, sdkLlm, sdkVersion };
}

export function registerNew(program: Command): void {
  program
    .command('new [starter] [dir]')
    .description('start an app on @workbench/sdk/llm from a starter: chat-app, doc-analyzer, image-captioner')
    .option('--list', 'list the starters')
    .option('--json', 'print JSON')
    .action(async (starter: string | undefined, dir: string | undefined, opts: { list?: boolean; json?: boolean }) => {
      const { UserError } = await import('@workbench/core');
      if (opts.list || !starter) {
        const rows = Object.entries(STARTERS).map(([name, description]) => ({ name, description }));
        if (opts.json) return void process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
        return void process.stdout.write(table(rows, [{ key: 'name', title: 'starter' }, { key: 'description', title: 'what it is' }]) + '\nstart one: wb new chat-app my-chat\n');
      }
      if (!(starter in STARTERS)) throw new UserError('NOT_FOUND', `no starter named '${starter}'`, { hint: `starters: ${Object.keys(STARTERS).join(', ')}` });
      if (!dir) throw new UserError('INVALID_INPUT', 'say where to create the app', { hint: `wb new ${starter} my-app` });
      const target = path.resolve(dir);
      const existing = await readdir(target).catch(() => undefined);
      if (existing && existing.length > 0) throw new UserError('CONFLICT', `${target} exists and is not empty`, { hint: 'pick a new folder name' });
      if ((await stat(target).catch(() => undefined))?.isFile()) throw new UserError('CONFLICT', `${target} is a file`, { hint: 'pick a new folder name' });
      const name = path.basename(target).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '') || 'app';
      const { apps, sdkLlm, sdkVersion } = await locate();
      const files = await copyTree(path.join(apps, starter), target, (text) => text.replaceAll('{{name}}', name));
      // The SDK's LLM client has no dependencies: a copy keeps the app installable offline and
      // independent of this checkout's location.
      const vendor = path.join(target, 'vendor', 'workbench-sdk');
      await mkdir(path.join(vendor, 'llm'), { recursive: true });
      for (const f of await readdir(sdkLlm)) if (/\.(js|d\.ts)$/.test(f) && !f.includes('.test.')) await copyFile(path.join(sdkLlm, f), path.join(vendor, 'llm', f));
      await writeFile(
        path.join(vendor, 'package.json'),
        JSON.stringify({ name: '@workbench/sdk', version: sdkVersion, type: 'module', exports: { './llm': { types: './llm/index.d.ts', default: './llm/index.js' } } }, null, 2) + '\n',
      );
      if (opts.json) return void process.stdout.write(JSON.stringify({ starter, dir: target, name, files }, null, 2) + '\n');
      process.stdout.write(
        `created ${starter} in ${target}\n\nnext:\n  cd ${path.relative(process.cwd(), target) || '.'}\n  npm install && npm run build\n  wb llm serve ./model.gguf     # in another terminal (or run Ollama)\n  npm start${starter === 'chat-app' ? '' : starter === 'doc-analyzer' ? ' -- notes.txt' : ' -- photo.jpg'}\n  npm test                      # smoke test against the running server\n`,
      );
    });
}

async function copyTree(from: string, to: string, transform: (text: string) => string): Promise<string[]> {
  const out: string[] = [];
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const src = path.join(from, entry.name);
    const dst = path.join(to, entry.name);
    if (entry.isDirectory()) out.push(...(await copyTree(src, dst, transform)).map((f) => path.join(entry.name, f)));
    else if (entry.isFile()) {
      await writeFile(dst, transform(await readFile(src, 'utf8')));
      out.push(entry.name);
    }
  }
  return out;
}
