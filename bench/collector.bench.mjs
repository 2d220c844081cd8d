// The LLM monitor's collector, idle: what sampling every endpoint (the usual local ports and
// any configured) plus the machine costs while nothing else happens. A child process runs
// only the collector loop; this one reads its CPU time and RSS from /proc. Budget: < 1 % of
// one core and < 50 MB RSS added to the process it lives in. Window: WB_BENCH_COLLECTOR_S seconds (default 600; 4 in quick mode).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dist, quick, report, round } from './lib.mjs';

const windowS = Number(process.env.WB_BENCH_COLLECTOR_S) || (quick ? 4 : 600);
const intervalMs = Number(process.env.WB_BENCH_COLLECTOR_INTERVAL_MS) || 2000;
const ticks = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

// The collector's own modules (in the server they share the process with Fastify and SQLite).
const llmDist = dist('llm').replace(/index\.js$/, '');
const childSrc = `
const { LlmMonitor } = await import(${JSON.stringify(llmDist + 'monitor/monitor.js')});
const { defaultEndpoints } = await import(${JSON.stringify(llmDist + 'runtimes/endpoints.js')});
const mon = new LlmMonitor({ endpoints: () => defaultEndpoints() });
let n = 0;
const loop = async () => { await mon.sample(); n++; setTimeout(loop, ${intervalMs}); };
process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ samples: n }) + '\\n'); process.exit(0); });
process.stdout.write('ready\\n');
loop();
`;

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / ticks; // utime + stime
}
const rssBytes = (pid) => Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;

const child = spawn(process.execPath, ['--input-type=module', '-e', childSrc], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d) => (out += d));
await new Promise((r) => {
  const t = setInterval(() => out.includes('ready') && (clearInterval(t), r()), 20);
});
// Start-up (module loading, the first sample) is not idle cost.
await new Promise((r) => setTimeout(r, Math.min(2000, intervalMs) + 500));
const c0 = cpuSeconds(child.pid);
const t0 = performance.now();
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssBytes(child.pid))), 250);
await new Promise((r) => setTimeout(r, windowS * 1000));
clearInterval(rssTimer);
const c1 = cpuSeconds(child.pid);
const wall = (performance.now() - t0) / 1000;
const rssEnd = rssBytes(child.pid);
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
const samples = JSON.parse(out.split('\n').find((l) => l.startsWith('{')) ?? '{"samples":0}').samples;
const bare = spawnSync(process.execPath, ['-e', `process.stdout.write(String(process.memoryUsage().rss))`], { encoding: 'utf8' });
report('llm-collector', {
  windowS: round(wall, 1),
  intervalMs,
  samples,
  cpuPercentOfOneCore: round(((c1 - c0) / wall) * 100, 2),
  peakRssMB: round(peakRss / 1e6, 1),
  endRssMB: round(rssEnd / 1e6, 1),
  bareNodeRssMB: round(Number(bare.stdout) / 1e6, 1),
  // What the collector adds to a process (the budget applies to this: it lives in wb serve).
  rssAboveBareNodeMB: round((peakRss - Number(bare.stdout)) / 1e6, 1),
  budget: { cpuPercent: 1, rssMB: 50 },
});
