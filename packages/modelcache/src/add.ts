import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OperationalError, UserError, invalid } from '@workbench/core';
import { sha256Hex } from './hash.js';

export type AddSource = { kind: 'hf'; repo: string; revision: string } | { kind: 'ollama'; name: string } | { kind: 'file'; path: string };

/** `hf://org/model[@revision]`, `ollama://name:tag`, `file://path` (or a bare folder path). */
export function parseAddUri(uri: string): AddSource {
  const hf = /^hf:\/\/([A-Za-z0-9][\w.-]*\/[\w.-]+)(?:@([\w./-]+))?$/.exec(uri);
  if (hf) {
    if (hf[2]?.includes('..')) throw invalid(`bad revision in ${uri}`);
    return { kind: 'hf', repo: hf[1]!, revision: hf[2] ?? 'main' };
  }
  if (uri.startsWith('hf://')) throw invalid(`'${uri}' is not hf://org/model[@revision]`, 'for example hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF');
  const ol = /^ollama:\/\/([a-z0-9][\w./-]*(?::[\w.-]+)?)$/i.exec(uri);
  if (ol) return { kind: 'ollama', name: ol[1]! };
  if (uri.startsWith('ollama://')) throw invalid(`'${uri}' is not ollama://name:tag`, 'for example ollama://llama3.2:1b');
  if (uri.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(uri.slice('file://'.length)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw invalid(`unknown source '${uri.split('://')[0]}://'`, 'use hf://, ollama:// or file://');
  return { kind: 'file', path: uri };
}

export interface DownloadProgress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
}

function isNetworkError(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e = err as { code?: string; cause?: unknown; message?: string } | undefined;
  while (e && !seen.has(e)) {
    seen.add(e);
    if (['ENOTFOUND', 'ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT'].includes(e.code ?? '')) return true;
    if (e.message === 'fetch failed') return true;
    e = e.cause as typeof e;
  }
  return false;
}

/**
 * Download a Hugging Face repo into the standard hub cache layout (blobs named by LFS SHA-256
 * or git id, snapshot symlinks, refs). Resumable: a blob's `.incomplete` file is continued
 * with a range request, and complete blobs are never fetched again.
 */
export async function downloadHf(hubRoot: string, repo: string, revision: string, opts: { onProgress?: (p: DownloadProgress) => void; hubUrl?: string; accessToken?: string } = {}): Promise<{ snapshot: string; files: number; bytes: number }> {
  const hub = await import('@huggingface/hub');
  const hubUrl = opts.hubUrl ?? process.env.HF_ENDPOINT ?? undefined;
  const common = { ...(hubUrl ? { hubUrl } : {}), ...(opts.accessToken ?? process.env.HF_TOKEN ? { accessToken: opts.accessToken ?? process.env.HF_TOKEN! } : {}) };
  try {
    const commit = /^[0-9a-f]{40}$/.test(revision) ? revision : ((await hub.modelInfo({ name: repo, revision, additionalFields: ['sha'], ...common })) as { sha?: string }).sha;
    if (!commit) throw new OperationalError('IO_ERROR', `the hub did not say which commit ${repo}@${revision} is`);
    const entries = [];
    for await (const e of hub.listFiles({ repo, revision: commit, recursive: true, expand: true, ...common })) if (e.type === 'file') entries.push(e);
    const repoDir = path.join(hubRoot, `models--${repo.split('/').join('--')}`);
    const snapshot = path.join(repoDir, 'snapshots', commit);
    mkdirSync(path.join(repoDir, 'blobs'), { recursive: true });
    const bytesTotal = entries.reduce((s, e) => s + (e.lfs?.size ?? e.size), 0);
    let bytesDone = 0;
    for (const e of entries) {
      if (e.path.split('/').some((s) => s === '..' || s === '')) throw invalid(`the hub listed an unsafe path '${e.path}'`);
      const etag = e.lfs?.oid ?? e.oid;
      if (!etag || !/^[0-9a-f]{40,64}$/.test(etag)) throw new OperationalError('IO_ERROR', `no content id for ${e.path}`);
      const blob = path.join(repoDir, 'blobs', etag);
      const size = e.lfs?.size ?? e.size;
      if (!existsSync(blob)) {
        const partial = `${blob}.incomplete`;
        const have = existsSync(partial) ? statSync(partial).size : 0;
        const remote = await hub.downloadFile({ repo, path: e.path, revision: commit, ...common });
        if (!remote) throw new OperationalError('NOT_FOUND', `${repo} has no file ${e.path} at ${commit}`);
        bytesDone += have;
        const body = Readable.fromWeb((have > 0 && have < size ? remote.slice(have) : remote).stream() as import('node:stream/web').ReadableStream);
        body.on('data', (c: Buffer) => {
          bytesDone += c.length;
          opts.onProgress?.({ file: e.path, bytesDone, bytesTotal });
        });
        await pipeline(body, createWriteStream(partial, { flags: have > 0 && have < size ? 'a' : 'w' }));
        // LFS blobs are named by their SHA-256: a resumed or damaged download must match it.
        if (/^[0-9a-f]{64}$/.test(etag)) {
          const got = sha256Hex(partial);
          if (got !== etag) {
            rmSync(partial, { force: true });
            throw new OperationalError('IO_ERROR', `${e.path} of ${repo} arrived damaged (SHA-256 ${got.slice(0, 12)}…, expected ${etag.slice(0, 12)}…)`, { hint: 'run the same command again to download it afresh' });
          }
        }
        renameSync(partial, blob);
      } else bytesDone += size;
      const link = path.join(snapshot, ...e.path.split('/'));
      mkdirSync(path.dirname(link), { recursive: true });
      if (!existsSync(link)) symlinkSync(path.relative(path.dirname(link), blob), link);
      opts.onProgress?.({ file: e.path, bytesDone, bytesTotal });
    }
    mkdirSync(path.join(repoDir, 'refs'), { recursive: true });
    if (revision !== commit) writeFileSync(path.join(repoDir, 'refs', revision), commit);
    return { snapshot, files: entries.length, bytes: bytesTotal };
  } catch (err) {
    if (isNetworkError(err)) {
      throw new OperationalError('UNAVAILABLE', `downloading hf://${repo} needs a network connection to ${hubUrl ?? 'huggingface.co'}, and it cannot be reached`, {
        hint: 'connect to the internet and run the same command again: finished files are kept and a partial one continues where it stopped',
        cause: err,
      });
    }
    if ((err as { statusCode?: number }).statusCode === 401 || (err as { statusCode?: number }).statusCode === 404) {
      throw new UserError('NOT_FOUND', `hf://${repo}@${revision} was not found on the hub (or needs a token)`, { hint: 'check the name; for gated models set HF_TOKEN', cause: err });
    }
    throw err;
  }
}

/** Ask the local Ollama to pull a model, reporting its progress; a clear error when it is not running. */
export async function pullOllama(name: string, opts: { host?: string; onProgress?: (p: DownloadProgress) => void } = {}): Promise<void> {
  const raw = opts.host ?? process.env.OLLAMA_HOST ?? 'http://127.0.0.1:11434';
  const host = /^https?:\/\//.test(raw) ? raw : `http://${raw}`;
  let res: Response;
  try {
    res = await fetch(`${host.replace(/\/$/, '')}/api/pull`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: name, stream: true }) });
  } catch (err) {
    throw new OperationalError('UNAVAILABLE', `Ollama is not running at ${host}`, { hint: 'start it (ollama serve), or set OLLAMA_HOST to where it listens', cause: err });
  }
  if (!res.ok || !res.body) throw new OperationalError('UNAVAILABLE', `Ollama at ${host} answered ${res.status} to the pull of ${name}: ${(await res.text().catch(() => '')).slice(0, 200)}`);
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let msg: { status?: string; error?: string; completed?: number; total?: number; digest?: string };
      try {
        msg = JSON.parse(line) as typeof msg;
      } catch {
        continue;
      }
      if (msg.error) throw new OperationalError('UNAVAILABLE', `Ollama could not pull ${name}: ${msg.error}`, { hint: 'check the name (ollama.com/library) and that Ollama can reach the internet' });
      if (msg.total) opts.onProgress?.({ file: msg.digest ?? msg.status ?? '', bytesDone: msg.completed ?? 0, bytesTotal: msg.total });
    }
  }
}
