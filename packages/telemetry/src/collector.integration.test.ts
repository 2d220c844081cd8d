import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from '@workbench/core';
import { afterEach, expect, test } from 'vitest';
import { SystemCollector } from './collector.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const disposers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (disposers.length) await disposers.pop()!();
});

async function dir() {
  const d = await tempDir('wb-telemetry-');
  disposers.push(d.dispose);
  return d.dir;
}

/** A real executable that prints a fixture for the given first argument prefix. */
async function fakeTool(bin: string, name: string, byArg: Record<string, string>, exit = 0): Promise<void> {
  const cases = Object.entries(byArg)
    .map(([prefix, file]) => `  ${prefix}*) /bin/cat '${file}' ;;`)
    .join('\n');
  await writeFile(path.join(bin, name), `#!/bin/sh\ncase "$1" in\n${cases}\n  *) echo "unknown option $1" >&2; exit 3 ;;\nesac\nexit ${exit}\n`);
  await chmod(path.join(bin, name), 0o755);
}

test('reads CPU, memory and thermal zones from the files it is pointed at', async () => {
  const root = await dir();
  const proc = path.join(root, 'proc');
  const thermal = path.join(root, 'thermal');
  await mkdir(proc);
  await writeFile(path.join(proc, 'stat'), fixture('proc-stat-a.txt'));
  await writeFile(path.join(proc, 'meminfo'), fixture('proc-meminfo.txt'));
  await mkdir(path.join(thermal, 'thermal_zone0'), { recursive: true });
  await writeFile(path.join(thermal, 'thermal_zone0', 'type'), 'x86_pkg_temp\n');
  await writeFile(path.join(thermal, 'thermal_zone0', 'temp'), '97000\n');
  await writeFile(path.join(thermal, 'thermal_zone0', 'trip_point_0_type'), 'passive\n');
  await writeFile(path.join(thermal, 'thermal_zone0', 'trip_point_0_temp'), '95000\n');
  await mkdir(path.join(thermal, 'thermal_zone1'));
  await writeFile(path.join(thermal, 'thermal_zone1', 'type'), 'acpitz\n');
  await writeFile(path.join(thermal, 'thermal_zone1', 'temp'), '40000\n');
  await mkdir(path.join(proc, '4242'));
  await writeFile(path.join(proc, '4242', 'status'), 'Name:\tllama\nVmRSS:\t 2048 kB\n');

  const c = new SystemCollector({ platform: 'linux', procRoot: proc, thermalRoot: thermal, env: { PATH: path.join(root, 'empty') } });
  const first = await c.sample();
  expect(first.cpu?.percent).toBeNull();
  await writeFile(path.join(proc, 'stat'), fixture('proc-stat-b.txt'));
  const s = await c.sample();
  expect(s.cpu?.percent).toBeCloseTo(50, 6);
  expect(s.memory?.totalBytes).toBe(8131548 * 1024);
  expect(s.thermal).toEqual([
    { name: 'x86_pkg_temp', temperatureC: 97, throttling: true },
    { name: 'acpitz', temperatureC: 40, throttling: false },
  ]);
  expect(await c.processRss(4242)).toBe(2048 * 1024);
  expect(await c.processRss(99999)).toBeNull();
  // No GPU tool on PATH: said so, with the reason.
  expect(s.sources.find((x) => x.source === 'nvidia-smi')).toEqual({ source: 'nvidia-smi', available: false, reason: 'command not found' });
  expect(s.sources.find((x) => x.source === 'macmon')).toEqual({ source: 'macmon', available: false, reason: 'not macOS' });
  expect(s.gpus).toEqual([]);
});

test('runs nvidia-smi and rocm-smi when present and reports their GPUs and processes', async () => {
  const root = await dir();
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  const fx = (n: string) => new URL(`../fixtures/${n}`, import.meta.url).pathname;
  await fakeTool(bin, 'nvidia-smi', { '--query-gpu': fx('nvidia-smi-h100.csv'), '--query-compute-apps': fx('nvidia-smi-compute-apps.csv') });
  await fakeTool(bin, 'rocm-smi', { '--showuse': fx('rocm-smi-rx7900.json') });
  const c = new SystemCollector({ platform: 'linux', env: { PATH: bin } });
  const s = await c.sample();
  expect(s.gpus.map((g) => `${g.vendor}:${g.name}`)).toEqual(['nvidia:NVIDIA H100 80GB HBM3', 'amd:AMD GPU 0']);
  expect(s.gpuProcesses).toHaveLength(1);
  expect(s.sources.filter((x) => x.available).map((x) => x.source)).toEqual(expect.arrayContaining(['nvidia-smi', 'rocm-smi']));
});

test('a failing or garbled tool is "not available" with its reason, never a throw', async () => {
  const root = await dir();
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  await writeFile(path.join(bin, 'nvidia-smi'), '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver." >&2\nexit 9\n');
  await chmod(path.join(bin, 'nvidia-smi'), 0o755);
  await writeFile(path.join(bin, 'rocm-smi'), '#!/bin/sh\necho "not json"\n');
  await chmod(path.join(bin, 'rocm-smi'), 0o755);
  await writeFile(path.join(bin, 'macmon'), '#!/bin/sh\nexec /bin/sleep 5\n');
  await chmod(path.join(bin, 'macmon'), 0o755);
  const linux = await new SystemCollector({ platform: 'linux', env: { PATH: bin } }).sample();
  expect(linux.sources.find((x) => x.source === 'nvidia-smi')?.reason).toMatch(/^exited with code 9: NVIDIA-SMI has failed/);
  expect(linux.sources.find((x) => x.source === 'rocm-smi')?.reason).toMatch(/not JSON/);
  const mac = await new SystemCollector({ platform: 'darwin', env: { PATH: bin }, timeoutMs: 300 }).sample();
  expect(mac.sources.find((x) => x.source === 'macmon')?.reason).toBe('timed out after 300 ms');
  expect(mac.sources.find((x) => x.source === 'thermal')?.reason).toBe('not Linux');
  expect(mac.sources.find((x) => x.source === 'nvidia-smi')?.reason).toBe('not on macOS');
});

test('an unreadable /proc is reported per source', async () => {
  const root = await dir();
  const s = await new SystemCollector({ platform: 'linux', procRoot: path.join(root, 'nope'), thermalRoot: path.join(root, 'nope'), env: { PATH: root } }).sample();
  expect(s.cpu).toBeNull();
  expect(s.memory).toBeNull();
  expect(s.sources.find((x) => x.source === 'cpu')).toEqual({ source: 'cpu', available: false, reason: 'not found' });
  expect(s.sources.find((x) => x.source === 'thermal')?.available).toBe(false);
});

test('a driver that refuses clocks_throttle_reasons is asked again with clocks_event_reasons', async () => {
  const root = await dir();
  const bin = path.join(root, 'bin');
  await mkdir(bin);
  const fx = new URL('../fixtures/nvidia-smi-h100.csv', import.meta.url).pathname;
  await writeFile(
    path.join(bin, 'nvidia-smi'),
    `#!/bin/sh\ncase "$1" in\n  *clocks_throttle_reasons*) echo 'Field "clocks_throttle_reasons.active" is not a valid field to query.' >&2; exit 2 ;;\n  *clocks_event_reasons*) /bin/cat '${fx}' ;;\n  --query-compute-apps*) exit 0 ;;\nesac\n`,
  );
  await chmod(path.join(bin, 'nvidia-smi'), 0o755);
  const c = new SystemCollector({ platform: 'linux', env: { PATH: bin } });
  for (let i = 0; i < 2; i++) {
    const s = await c.sample();
    expect(s.gpus.map((g) => g.name)).toEqual(['NVIDIA H100 80GB HBM3']);
    expect(s.sources.filter((x) => x.source === 'nvidia-smi')).toEqual([{ source: 'nvidia-smi', available: true }]);
  }
});
