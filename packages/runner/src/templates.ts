import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { templateSchema, type Template } from '@workbench/api';
import { UserError, invalid, notFound } from '@workbench/core';
import { templatesDir } from './paths.js';

export function listTemplates(dir = templatesDir): Template[] {
  if (!existsSync(dir)) return [];
  const out: Template[] = [];
  for (const name of readdirSync(dir).sort()) {
    const file = path.join(dir, name, 'template.json');
    if (!existsSync(file)) continue;
    const parsed = templateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (parsed.success) out.push(parsed.data);
  }
  return out;
}

export function getTemplate(name: string, dir = templatesDir): Template & { dir: string } {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw notFound('template', name, 'see wb template list');
  const t = listTemplates(dir).find((x) => x.name === name);
  if (!t) throw notFound('template', name, `available: ${listTemplates(dir).map((x) => x.name).join(', ') || 'none'} (wb template list)`);
  return { ...t, dir: path.join(dir, name) };
}

type ParamSpec = Template['params'][string];

/** The value as its spec's type, or an error that says what the param accepts. */
function checkParam(template: string, key: string, value: unknown, spec: ParamSpec): unknown {
  const accepts = (): string => {
    if (spec.choices) return `one of ${spec.choices.join(', ')}`;
    const bounds = [
      spec.min !== undefined ? `≥ ${spec.min}` : spec.above !== undefined ? `> ${spec.above}` : '',
      spec.max !== undefined ? `≤ ${spec.max}` : spec.below !== undefined ? `< ${spec.below}` : '',
    ].filter(Boolean);
    return `${spec.type === 'integer' ? 'a whole number' : 'a number'}${bounds.length ? ' ' + bounds.join(' and ') : ''}`;
  };
  const refuse = (): never => {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : String(value);
    throw invalid(`template ${template}: --param ${key} must be ${accepts()}, not ${shown}`, `${spec.description}`);
  };
  if (!spec.type) return value;
  if (spec.type === 'string') {
    const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : refuse();
    if (spec.choices && !spec.choices.includes(text)) refuse();
    return text;
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) refuse();
  if (spec.type === 'integer' && !Number.isSafeInteger(n)) refuse();
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) refuse();
  if ((spec.above !== undefined && n <= spec.above) || (spec.below !== undefined && n >= spec.below)) refuse();
  return n;
}

/**
 * Fill in defaults and check every given value against its spec before a run exists, so a
 * mistyped `--param epochs=-1` is an error to fix rather than a failed run in the list.
 */
export function resolveTemplateParams(t: Template, given: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(t.params)) {
    if (given[k] !== undefined && given[k] !== null) out[k] = checkParam(t.name, k, given[k], spec);
    else if (spec.default !== undefined) out[k] = spec.default;
    else if (spec.required) throw invalid(`template ${t.name} needs --param ${k}=… (${spec.description})`);
  }
  for (const [k, v] of Object.entries(given)) if (!(k in t.params)) out[k] = v;
  return out;
}

const aptNames: Record<string, string> = { sklearn: 'python3-sklearn', torch: 'python3-torch', onnx: 'python3-onnx', numpy: 'python3-numpy' };
const pipNames: Record<string, string> = { sklearn: 'scikit-learn' };
const pythonCache = new Map<string, string | null>();

/**
 * The Python that runs a template: $WB_PYTHON, else the first of `python3` on PATH and
 * Debian's /usr/bin/python3 that can import what the template needs (pyenv's python3 often
 * shadows the one that apt installed packages into).
 */
export function findPython(requires: string[], env: NodeJS.ProcessEnv = process.env): string {
  const key = requires.join(',') + '|' + (env.WB_PYTHON ?? '');
  const cached = pythonCache.get(key);
  if (cached) return cached;
  const candidates = env.WB_PYTHON ? [env.WB_PYTHON] : ['python3', '/usr/bin/python3', 'python'];
  const check = requires.length > 0 ? `import ${requires.join(', ')}` : 'pass';
  let sawPython = false;
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', check], { stdio: 'ignore', timeout: 60_000 });
    if (r.error) continue;
    sawPython = true;
    if (r.status === 0) {
      pythonCache.set(key, py);
      return py;
    }
  }
  if (!sawPython && env.WB_PYTHON) {
    // The user chose this interpreter: the fix is the setting, not an install.
    throw new UserError('DEPENDENCY_MISSING', `WB_PYTHON is ${env.WB_PYTHON}, which cannot be started`, { hint: 'point WB_PYTHON at a Python 3 interpreter (e.g. /usr/bin/python3), or unset it to use the first python3 on PATH' });
  }
  if (!sawPython) {
    throw new UserError('DEPENDENCY_MISSING', 'no Python interpreter found (tried ' + candidates.join(', ') + ')', { hint: 'install Python 3: sudo apt-get install -y python3 (or set WB_PYTHON)' });
  }
  const apt = requires.map((r) => aptNames[r] ?? `python3-${r}`).join(' ');
  const pip = requires.map((r) => pipNames[r] ?? r).join(' ');
  throw new UserError('DEPENDENCY_MISSING', `no Python interpreter here can import ${requires.join(', ')} (tried ${candidates.join(', ')})`, {
    hint: `install them: sudo apt-get install -y ${apt}  (or: pip install ${pip}, or set WB_PYTHON to a Python that has them)`,
  });
}
