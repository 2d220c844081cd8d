import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseMacmon } from './macmon.js';
import { decodeThrottleReasons, parseNvidiaApps, parseNvidiaGpus } from './nvidia.js';
import { numOrNull } from './parse-util.js';
import { cpuPercent, parseMeminfo, parseProcStat, parseProcStatusRss } from './proc.js';
import { parseRocmSmi } from './rocm.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const MIB = 1024 * 1024;

describe('nvidia-smi', () => {
  test('an H100 under load', () => {
    const [g, ...rest] = parseNvidiaGpus(fixture('nvidia-smi-h100.csv'));
    expect(rest).toHaveLength(0);
    expect(g).toMatchObject({ vendor: 'nvidia', index: 0, name: 'NVIDIA H100 80GB HBM3', uuid: 'GPU-3a6b1c9e-7f2d-4e0a-9b51-2c8d4f6e1a73', utilPercent: 97, memUsedBytes: 45213 * MIB, memTotalBytes: 81559 * MIB, temperatureC: 64, powerW: 612.45, powerLimitW: 700, smClockMHz: 1980, memClockMHz: 2619, throttleReasons: [] });
  });

  test('two GPUs, one idle and one thermally throttled', () => {
    const gpus = parseNvidiaGpus(fixture('nvidia-smi-2xa100-throttled.csv'));
    expect(gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(gpus[0]!.throttleReasons).toEqual(['GpuIdle']);
    expect(gpus[1]!.throttleReasons).toEqual(['SwPowerCap', 'SwThermalSlowdown', 'HwThermalSlowdown']);
  });

  test('[N/A] and [Not Supported] become null, not 0 or NaN', () => {
    const [g] = parseNvidiaGpus(fixture('nvidia-smi-geforce-na.csv'));
    expect(g).toMatchObject({ utilPercent: null, powerW: null, powerLimitW: null, throttleReasons: null, memUsedBytes: 512 * MIB, temperatureC: 45 });
  });

  test('a line with missing fields is a clear error', () => {
    expect(() => parseNvidiaGpus('0, GPU-x, Tesla T4, 5, 100\n')).toThrow(/expected 12 fields, got 5/);
    expect(() => parseNvidiaGpus('x, GPU-x, T4, 1, 2, 3, 4, 5, 6, 7, 8, 0x0\n')).toThrow(/no GPU index/);
    expect(parseNvidiaGpus('\n\n')).toEqual([]);
  });

  test('compute apps: per-process memory; [N/A] rows skipped', () => {
    expect(parseNvidiaApps(fixture('nvidia-smi-compute-apps.csv'))).toEqual([{ pid: 41022, usedBytes: 45098 * MIB, gpuUuid: 'GPU-3a6b1c9e-7f2d-4e0a-9b51-2c8d4f6e1a73' }]);
    expect(parseNvidiaApps('No running processes found\n')).toEqual([]);
  });

  test('throttle bitmask decoding rejects garbage', () => {
    expect(decodeThrottleReasons('0x0000000000000088')).toEqual(['HwSlowdown', 'HwPowerBrakeSlowdown']);
    expect(decodeThrottleReasons('[N/A]')).toBeNull();
    expect(decodeThrottleReasons('0xzz')).toBeNull();
    expect(decodeThrottleReasons('0x' + 'f'.repeat(40))).toBeNull();
  });
});

describe('rocm-smi', () => {
  test('an MI250X pair; N/A power is null', () => {
    const gpus = parseRocmSmi(fixture('rocm-smi-mi250x.json'));
    expect(gpus).toHaveLength(2);
    expect(gpus[0]).toMatchObject({ vendor: 'amd', index: 0, utilPercent: 12, memTotalBytes: 68702699520, memUsedBytes: 11554816, temperatureC: 36, powerW: 89 });
    expect(gpus[1]!.powerW).toBeNull();
  });

  test('newer ROCm power field, junction N/A falls back to edge, the "system" entry is not a card', () => {
    const gpus = parseRocmSmi(fixture('rocm-smi-rx7900.json'));
    expect(gpus).toHaveLength(1);
    expect(gpus[0]).toMatchObject({ powerW: 26, temperatureC: 41, utilPercent: 3 });
  });

  test('malformed output', () => {
    expect(() => parseRocmSmi('WARNING: no AMD GPUs')).toThrow(/not JSON/);
    expect(() => parseRocmSmi('[1,2]')).toThrow(/object of cards/);
    expect(parseRocmSmi('{"card0": {}}')[0]).toMatchObject({ utilPercent: null, memTotalBytes: null, powerW: null });
  });
});

describe('macmon', () => {
  test('an M2 sample', () => {
    const s = parseMacmon(fixture('macmon-m2.jsonl'));
    expect(s.gpu).toMatchObject({ vendor: 'apple', smClockMHz: 461, temperatureC: 36.55, powerW: 0.017451683 });
    expect(s.gpu.utilPercent).toBeCloseTo(2.1497859, 5);
    expect(s.memory).toMatchObject({ totalBytes: 25769803776, usedBytes: 20436156416, swapUsedBytes: 2822307840 });
    expect(s.cpuPercent).toBeCloseTo(((0.082656614 + 0.015181795) / 2) * 100, 5);
  });

  test('missing fields and junk', () => {
    const s = parseMacmon('{"gpu_usage":[0]}');
    expect(s.gpu.utilPercent).toBeNull();
    expect(s.memory).toBeNull();
    expect(() => parseMacmon('macmon: not supported')).toThrow(/no JSON line/);
    expect(() => parseMacmon('{broken')).toThrow(/not JSON/);
  });
});

describe('/proc', () => {
  test('CPU percent from two /proc/stat readings', () => {
    const a = parseProcStat(fixture('proc-stat-a.txt'));
    const b = parseProcStat(fixture('proc-stat-b.txt'));
    // busy +150 (user 100, system 50), idle +150 → 50 %
    expect(cpuPercent(a, b)).toBeCloseTo(50, 6);
    expect(cpuPercent(b, a)).toBeNull();
    expect(cpuPercent(a, a)).toBeNull();
  });

  test('bad /proc/stat', () => {
    expect(() => parseProcStat('intr 1 2 3')).toThrow(/no aggregate/);
    expect(() => parseProcStat('cpu  1 x 3 4')).toThrow(/malformed/);
  });

  test('meminfo: used is total minus available; swap', () => {
    const m = parseMeminfo(fixture('proc-meminfo.txt'));
    expect(m.totalBytes).toBe(8131548 * 1024);
    expect(m.usedBytes).toBe((8131548 - 3790940) * 1024);
    expect(m.swapUsedBytes).toBe((2097148 - 1572860) * 1024);
    expect(() => parseMeminfo('garbage')).toThrow(/MemTotal/);
  });

  test('process RSS', () => {
    expect(parseProcStatusRss('Name:\tnode\nVmRSS:\t  123456 kB\n')).toBe(123456 * 1024);
    expect(parseProcStatusRss('Name:\tkthreadd\n')).toBeNull();
  });

  test('numOrNull', () => {
    for (const s of ['[N/A]', '[Not Supported]', 'N/A', 'NA', '', ' ', 'abc', '1e999', '0x10']) expect(numOrNull(s)).toBeNull();
    expect(numOrNull(' 68.52 ')).toBe(68.52);
    expect(numOrNull(NaN)).toBeNull();
  });
});

describe('/proc/net/tcp', () => {
  test('listening sockets on a port', async () => {
    const { parseListeningInodes } = await import('./listening-pid.js');
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2CAA 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 81234 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:2CAA 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 81299 1 0000000000000000 20 4 30 10 -1',
      '   2: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77001 1 0000000000000000 100 0 0 10 0',
      'garbage',
    ].join('\n');
    expect(parseListeningInodes(text, 11434)).toEqual(['81234']);
    expect(parseListeningInodes(text, 8080)).toEqual(['77001']);
    expect(parseListeningInodes(text, 1234)).toEqual([]);
  });
});
