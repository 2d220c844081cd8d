// `npm test`: install what the tests need, build, run every suite, and end with the totals
// over all suites as one plain line: "N passed, N failed".
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureBuilt, ensureDebianPackages, ensureNodeModules, missingPythonModules, pythonPackages, readJson, root, say } from './lib/setup.mjs';

const started = Date.now();
ensureNodeModules();
const missing = missingPythonModules(Object.keys(pythonPackages));
if (missing.length > 0) ensureDebianPackages(['python3', ...missing.map((m) => pythonPackages[m])]);
const e2eConfig = path.join(root, 'e2e', 'vitest.config.ts');
// The browser tests drive Debian's Chromium (never a downloaded browser).
if (existsSync(e2eConfig)) ensureDebianPackages(['chromium']);
ensureBuilt();

const out = path.join(root, '.wb-test');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function vitestTotals(file) {
  const j = readJson(file);
  if (!j) return null;
  // A test file that fails to load has no failed test in it but must still count.
  const brokenFiles = (j.testResults ?? []).filter((f) => f.status === 'failed' && !(f.assertionResults ?? []).some((a) => a.status === 'failed')).length;
  return { passed: j.numPassedTests, failed: j.numFailedTests + brokenFiles, skipped: j.numPendingTests + (j.numTodoTests ?? 0) };
}

const suites = [
  {
    name: 'typescript (vitest)',
    cmd: process.execPath,
    args: [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=default', '--reporter=json', `--outputFile=${path.join(out, 'vitest.json')}`],
    env: { WB_PYTHON: python },
    read: () => vitestTotals(path.join(out, 'vitest.json')),
  },
  {
    name: 'python client and templates (unittest)',
    cmd: python,
    args: [path.join(root, 'python/tests/run.py')],
    env: { WB_TEST_SUMMARY: path.join(out, 'python.json') },
    read: () => readJson(path.join(out, 'python.json')),
  },
];
if (existsSync(e2eConfig)) {
  suites.push({
    name: 'web app in Chromium (e2e)',
    cmd: process.execPath,
    args: [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', e2eConfig, '--reporter=default', '--reporter=json', `--outputFile=${path.join(out, 'e2e.json')}`],
    env: {},
    read: () => vitestTotals(path.join(out, 'e2e.json')),
  });
}

const totals = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
for (const s of suites) {
  say(`running ${s.name}`);
  const r = spawnSync(s.cmd, s.args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...s.env } });
  let res = s.read();
  if (!res) {
    // A suite that crashed before reporting counts as one failure, never as a pass.
    res = { passed: 0, failed: 1, skipped: 0 };
    lines.push(`${s.name}: crashed (exit ${r.status ?? r.error?.message})`);
  } else if (r.status !== 0 && res.failed === 0) {
    res.failed = 1;
    lines.push(`${s.name}: exited ${r.status} although no test failed`);
  }
  totals.passed += res.passed;
  totals.failed += res.failed;
  totals.skipped += res.skipped ?? 0;
  lines.push(`${s.name}: ${res.passed} passed, ${res.failed} failed, ${res.skipped ?? 0} skipped`);
}
process.stdout.write(`\n${lines.join('\n')}\ntook ${Math.round((Date.now() - started) / 1000)} s\n`);
process.stdout.write(`${totals.passed} passed, ${totals.failed} failed\n`);
process.exit(totals.failed > 0 ? 1 : 0);
