// The model cache on a generated machine of 100,000 files across the three store layouts
// (Hugging Face hub cache, Ollama, LM Studio; large blobs are sparse files):
//   - `wb cache status` warm, as a whole process (median of 9): budget < 200 ms;
//   - `wb cache scan` with nothing changed (every file stat'ed, none read): budget < 2 s;
//   - first-time hashing throughput of the scan against `sha256sum` on the same files
//     (run with as many parallel processes as the scan has hashing threads): budget >= 90 %.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, ftruncateSync, symlinkSync, utimesSync, lutimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { median, quick, report, root, round, tempHome } from './lib.mjs';

const bin = path.join(root, 'packages/cli/dist/bundle/bin.js');
const total = quick ? 3_000 : 100_000;
const { dir, dispose } = await tempHome('wb-bench-mc-');
const home = path.join(dir, 'home');
const hf = path.join(home, '.cache', 'huggingface', 'hub');
const ollama = path.join(home, '.ollama', 'models');
const lmstudio = path.join(home, '.lmstudio', 'models');
const env = { ...process.env, HOME: home, HF_HUB_CACHE: hf, OLLAMA_MODELS: ollama, XDG_CACHE_HOME: path.join(home, '.cache'), WB_HOME: path.join(dir, 'ws') };
const past = new Date(Date.now() - 3600_000);
const hex = (s) => createHash('sha256').update(s).digest('hex');
const sparse = (p, size) => {
  const fd = openSync(p, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
};
let files = 0;
const hashedFiles = [];

// 40 % Hugging Face snapshot entries (a blob and a relative symlink each), 30 % Ollama blobs and
// manifests, 30 % LM Studio files (these carry no digest in their names: the scan hashes them).
const hfRepos = Math.round((total * 0.4) / 50);
for (let r = 0; r < hfRepos; r++) {
  const repo = path.join(hf, `models--org${r % 50}--model-${r}`);
  const commit = hex(`c${r}`).slice(0, 40);
  const snap = path.join(repo, 'snapshots', commit);
  mkdirSync(path.join(repo, 'blobs'), { recursive: true });
  mkdirSync(path.join(repo, 'refs'), { recursive: true });
  mkdirSync(snap, { recursive: true });
  writeFileSync(path.join(repo, 'refs', 'main'), commit);
  for (let f = 0; f < 50; f++) {
    const digest = hex(`hf-${r}-${f}`);
    const blob = path.join(repo, 'blobs', digest);
    if (f === 0) sparse(blob, 512 << 20);
    else writeFileSync(blob, `{"shard": ${f}}`);
    symlinkSync(`../../blobs/${digest}`, path.join(snap, f === 0 ? 'model.safetensors' : `file-${f}.json`));
    files++;
  }
}
const olModels = Math.round((total * 0.3) / 6);
mkdirSync(path.join(ollama, 'blobs'), { recursive: true });
for (let m = 0; m < olModels; m++) {
  const layers = [];
  for (let l = 0; l < 5; l++) {
    const digest = hex(`ol-${m}-${l}`);
    const blob = path.join(ollama, 'blobs', `sha256-${digest}`);
    const size = l === 0 ? 1 << 30 : 64;
    if (l === 0) sparse(blob, size);
    else writeFileSync(blob, 'x'.repeat(64));
    layers.push({ mediaType: l === 0 ? 'application/vnd.ollama.image.model' : 'application/vnd.ollama.image.params', digest: `sha256:${digest}`, size });
    files++;
  }
  const mdir = path.join(ollama, 'manifests', 'registry.ollama.ai', 'library', `model-${m}`);
  mkdirSync(mdir, { recursive: true });
  writeFileSync(path.join(mdir, 'latest'), JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: layers[1], layers: [layers[0], ...layers.slice(2)] }));
  files++;
}
const lmRepos = Math.round((total - files) / 30);
// Each LM Studio repo: one 256 KiB weights file and 29 small files (4 KiB), all real bytes.
const small = Buffer.alloc(4 * 1024);
const weights = Buffer.alloc(256 * 1024);
for (let r = 0; r < lmRepos; r++) {
  const d = path.join(lmstudio, `pub-${r % 40}`, `repo-${r}`);
  mkdirSync(d, { recursive: true });
  for (let f = 0; f < 30; f++) {
    const b = f === 0 ? weights : small;
    for (let o = 0; o < b.length; o += 4096) b.writeUInt32LE(r * 30 + f + o, o);
    const p = path.join(d, f === 0 ? 'model.gguf' : `part-${f}.gguf`);
    writeFileSync(p, b);
    hashedFiles.push(p);
    files++;
  }
}
// Files written seconds ago are not trusted to the hash cache; any real store is older.
spawnSync('find', [home, '-exec', 'touch', '-h', '-d', past.toISOString(), '{}', '+']);
void utimesSync;
void lutimesSync;

// CPU time (user + system) of each command as well as its wall time: on a shared machine the
// wall time includes waiting for a core, the CPU time does not.
const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const wb = (...args) => {
  const t = performance.now();
  const argv = timeBin ? [timeBin, ['-f', 'cpu %U %S', process.execPath, bin, 'cache', ...args]] : [process.execPath, [bin, 'cache', ...args]];
  const r = spawnSync(argv[0], argv[1], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`wb cache ${args.join(' ')}: ${r.stderr}`);
  const cpu = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { ms: performance.now() - t, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : NaN, out: r.stdout };
};
const load = () => os.loadavg()[0];
const loadBefore = load();

const first = wb('scan', '--json');
const firstScan = JSON.parse(first.out);
const rescans = [wb('scan', '--json'), wb('scan', '--json'), wb('scan', '--json')];
const rescan = JSON.parse(rescans[2].out);
if (rescan.filesHashed !== 0) throw new Error(`an unchanged rescan hashed ${rescan.filesHashed} files`);
const rescanMs = median(rescans.map((r) => r.ms));
const rescanCpuMs = median(rescans.map((r) => r.cpuMs));
wb('status');
wb('status');
const statusRuns = Array.from({ length: 9 }, () => wb('status'));
const statusMs = median(statusRuns.map((r) => r.ms));
const statusCpuMs = median(statusRuns.map((r) => r.cpuMs));

// Hashing: the scan's own hashing time (its worker threads reading and digesting); sha256sum
// hashes the same files with as many parallel processes as the scan has threads.
const threads = Math.max(1, Math.min(4, os.availableParallelism()));
const hashMs = Math.max(1, firstScan.hashMs);
const mbps = (bytes, ms) => bytes / (1 << 20) / (ms / 1000);
const listFile = path.join(dir, 'files.txt');
writeFileSync(listFile, hashedFiles.join('\0'));
let t = performance.now();
const s = spawnSync('sh', ['-c', `xargs -0 -P ${threads} -n ${Math.ceil(hashedFiles.length / threads)} sha256sum < '${listFile}' > /dev/null`]);
const shaMs = performance.now() - t;
if (s.status !== 0) throw new Error(`sha256sum failed: ${s.stderr}`);
if (process.env.WB_BENCH_KEEP) console.error(`kept ${dir}`);
else await dispose();
report('modelcache', {
  files,
  models: firstScan.stats.models,
  hashedFiles: firstScan.filesHashed,
  hashedMiB: round(firstScan.bytesHashed / (1 << 20)),
  firstScanMs: round(first.ms),
  rescanUnchangedMs: round(rescanMs),
  rescanUnchangedCpuMs: round(rescanCpuMs),
  statusWarmMs: round(statusMs),
  statusWarmCpuMs: round(statusCpuMs),
  loadAverage: [round(loadBefore, 1), round(load(), 1)],
  scanHashMiBps: round(mbps(firstScan.bytesHashed, hashMs)),
  sha256sumMiBps: round(mbps(firstScan.bytesHashed, shaMs)),
  hashThroughputVsSha256sum: round(shaMs / hashMs, 2),
  hashThreads: threads,
  budgets: { statusWarmMs: 200, rescanUnchangedMs: 2000, hashThroughputVsSha256sum: 0.9 },
});
