import { LlmInvalidImageError } from './errors.js';

/**
 * An image for a vision model: bytes (a Node Buffer is a Uint8Array), base64 text, a `data:`
 * URL, or a file to read (Node only) — a string with a character base64 never has (`.`, `\`,
 * a space) is read as a path; `{ path }` says so whatever the name.
 */
export type ImageInput = Uint8Array | ArrayBuffer | string | { path: string };

/** An image checked and ready for the wire: base64 without a prefix, and its media type. */
export interface EncodedImage {
  base64: string;
  mimeType: ImageMimeType;
}

export type ImageMimeType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const BASE64 = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/** Read and check every image; the first bad one fails the call before anything is sent. */
export async function encodeImages(inputs: readonly ImageInput[], where: string): Promise<EncodedImage[]> {
  return Promise.all(inputs.map((input, i) => encodeImage(input, `${where}[${i}]`)));
}

async function encodeImage(input: ImageInput, label: string): Promise<EncodedImage> {
  if (input instanceof Uint8Array) return fromBytes(input, label);
  if (input instanceof ArrayBuffer) return fromBytes(new Uint8Array(input), label);
  if (typeof input === 'object' && input !== null && typeof (input as { path?: unknown }).path === 'string') return fromBytes(await readImageFile((input as { path: string }).path, label), label);
  if (typeof input !== 'string') throw new LlmInvalidImageError(`${label} must be bytes (Uint8Array, Buffer, ArrayBuffer), base64 text, a data: URL or a file path`);
  if (input.startsWith('data:')) {
    const m = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(input);
    if (!m?.[2]) throw new LlmInvalidImageError(`${label} is a data: URL that is not base64-encoded`, 'use data:image/png;base64,…');
    return fromBase64(m[3]!, label);
  }
  if (input.length > 0 && BASE64.test(input)) return fromBase64(input, label);
  return fromBytes(await readImageFile(input, label), label);
}

function fromBase64(text: string, label: string): EncodedImage {
  const base64 = text.replace(/\s+/g, '');
  let bytes: Uint8Array;
  try {
    bytes = base64ToBytes(base64);
  } catch {
    throw new LlmInvalidImageError(`${label} is not valid base64`);
  }
  return { base64, mimeType: sniff(bytes, label) };
}

function fromBytes(bytes: Uint8Array, label: string): EncodedImage {
  return { base64: bytesToBase64(bytes), mimeType: sniff(bytes, label) };
}

/** The image format from its first bytes: the formats vision servers take (Ollama, OpenAI, llama.cpp). */
function sniff(b: Uint8Array, label: string): ImageMimeType {
  const at = (i: number, ...xs: number[]) => xs.every((x, k) => b[i + k] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  throw new LlmInvalidImageError(b.length === 0 ? `${label} is empty` : `${label} is not a PNG, JPEG, GIF or WebP image`, 'pass the bytes of the image file, its base64 text, or { path: FILE }');
}

async function readImageFile(file: string, label: string): Promise<Uint8Array> {
  const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
  if (!isNode) throw new LlmInvalidImageError(`${label} looks like a file path, and files can be read in Node only`, 'in a browser pass the bytes (e.g. new Uint8Array(await file.arrayBuffer())) or base64');
  // Named through a variable so browser bundlers leave the Node module alone.
  const fsModule = 'node:fs/promises';
  const { readFile } = (await import(/* @vite-ignore */ fsModule)) as { readFile(file: string): Promise<Uint8Array> };
  try {
    return await readFile(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message;
    throw new LlmInvalidImageError(`${label}: cannot read image file ${file}: ${why}`, 'pass an existing image file, or the image itself as bytes or base64', err);
  }
}

/** Base64 without Buffer, so the client also runs in browsers. */
function bytesToBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function base64ToBytes(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
