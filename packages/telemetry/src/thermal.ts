import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { ThermalZone } from './types.js';

const THROTTLING_TRIPS = new Set(['passive', 'hot', 'critical']);

/**
 * Thermal zones from /sys/class/thermal: temperature in millidegrees, and whether any
 * passive/hot/critical trip point is reached (the kernel throttles from there on).
 */
export async function readThermalZones(root = '/sys/class/thermal'): Promise<ThermalZone[]> {
  const entries = await readdir(root); // a missing folder is the caller's "not available"
  const zones: ThermalZone[] = [];
  for (const name of entries.filter((n) => n.startsWith('thermal_zone')).sort()) {
    const dir = path.join(root, name);
    const read = (f: string) => readFile(path.join(dir, f), 'utf8').then((s) => s.trim(), () => null);
    const raw = await read('temp');
    const milli = raw === null ? NaN : Number(raw);
    if (!Number.isFinite(milli)) continue;
    const temperatureC = milli / 1000;
    let throttling = false;
    const files = await readdir(dir).catch(() => [] as string[]);
    for (const f of files) {
      const m = /^trip_point_(\d+)_type$/.exec(f);
      if (!m) continue;
      const type = await read(f);
      const trip = Number(await read(`trip_point_${m[1]}_temp`));
      if (type && THROTTLING_TRIPS.has(type) && Number.isFinite(trip) && trip > 0 && milli >= trip) throttling = true;
    }
    zones.push({ name: (await read('type')) ?? name, temperatureC, throttling });
  }
  return zones;
}
