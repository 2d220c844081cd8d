// Set-up shared by `npm start` and `npm test`: install what is missing, build what is stale.
// Plain JavaScript with Node built-ins only, because it runs before any dependency exists.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function say(msg) {
  process.stderr.write(`[setup] ${msg}\n`);
}

export function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) return { ok: false, status: null, error: r.error };
  return { ok: r.status === 0, status: r.status };
}

function mustSh(cmd, args, what) {
  const r = sh(cmd, args);
  if (!r.ok) {
    say(`${what} failed (${cmd} ${args.join(' ')} exited ${r.status ?? r.error?.message})`);
    process.exit(1);
  }
}

/** npm ci when node_modules is missing or older than package-lock.json. */
export function ensureNodeModules() {
  const lock = path.join(root, 'package-lock.json');
  const installed = path.join(root, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  say('installing npm packages (npm ci; the SQLite driver builds from source, about 1-2 minutes the first time)');
  // onnxruntime-node's install script would fetch CUDA libraries from outside the npm
  // registry; its CPU build ships inside the package, which is all Workbench needs.
  process.env.ONNXRUNTIME_NODE_INSTALL ??= 'skip';
  mustSh('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
}

/** TypeScript project build (incremental: quick when nothing changed). */
export function ensureBuilt() {
  say('building (tsc -b)');
  mustSh(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], 'the TypeScript build');
  // Rebundle only when a source is newer than the bundle: tests may be running the bundle.
  const bundle = path.join(root, 'packages', 'cli', 'dist', 'bundle', 'bin.js');
  if (!existsSync(bundle) || newestSource() > statSync(bundle).mtimeMs) {
    mustSh(process.execPath, [path.join(root, 'scripts', 'bundle-cli.mjs')], 'bundling the wb command');
  }
  ensureWebBuilt();
}

/** The web app (Vite), rebuilt when a file of it is newer than its build. */
export function ensureWebBuilt() {
  const web = path.join(root, 'packages', 'web');
  if (!existsSync(path.join(web, 'package.json'))) return;
  const built = path.join(web, 'dist', 'index.html');
  if (existsSync(built) && newestFile(web, ['dist', 'node_modules']) <= statSync(built).mtimeMs) return;
  say('building the web app (vite build)');
  mustSh('npm', ['run', 'build', '-w', '@workbench/web'], 'the web app build');
}

function newestFile(dir, skip) {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (skip.includes(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestFile(p, skip));
    else if (e.isFile()) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function newestSource() {
  let newest = statSync(path.join(root, 'package-lock.json')).mtimeMs;
  for (const pkg of readdirSync(path.join(root, 'packages'))) {
    const src = path.join(root, 'packages', pkg, 'src');
    if (!existsSync(src)) continue;
    for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
    }
  }
  return Math.max(newest, statSync(path.join(root, 'scripts', 'bundle-cli.mjs')).mtimeMs);
}

const canSudo = () => spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Python modules Workbench's templates need, mapped to the Debian packages that provide them. */
export const pythonPackages = { sklearn: 'python3-sklearn', torch: 'python3-torch', onnx: 'python3-onnx' };

export function missingPythonModules(modules, python = '/usr/bin/python3') {
  if (!existsSync(python)) return modules;
  return modules.filter((m) => spawnSync(python, ['-c', `import ${m}`], { stdio: 'ignore' }).status !== 0);
}

/**
 * Install Debian packages that are missing, through apt, when this user may (root, or sudo
 * without a password). Otherwise say what to run; never fail the set-up for it.
 */
export function ensureDebianPackages(packages) {
  const missing = packages.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return true;
  if (!existsSync('/usr/bin/apt-get')) {
    say(`missing system packages: ${missing.join(' ')} (not a Debian/Ubuntu system: install their equivalents)`);
    return false;
  }
  const prefix = isRoot() ? [] : canSudo() ? ['sudo', '-n'] : null;
  if (prefix === null) {
    say(`missing system packages: ${missing.join(' ')}; install them with: sudo apt-get install -y ${missing.join(' ')}`);
    return false;
  }
  say(`installing system packages: ${missing.join(' ')}`);
  const run = (args) => (prefix.length ? sh(prefix[0], [...prefix.slice(1), ...args]) : sh(args[0], args.slice(1)));
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  process.env.DEBIAN_FRONTEND = 'noninteractive';
  let r = run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  if (!r.ok) {
    run(['apt-get', 'update']);
    r = run(['apt-get', 'install', '-y', '--no-install-recommends', ...missing]);
  }
  void env;
  if (!r.ok) say(`could not install ${missing.join(' ')}; the features that need them will say so`);
  return r.ok;
}

export function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
