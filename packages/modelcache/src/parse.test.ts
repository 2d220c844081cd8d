import { expect, test } from 'vitest';
import { parseAddUri } from './add.js';
import { parameterLabel } from './meta.js';
import { ollamaName, parseManifest } from './scan/ollama.js';

test('add sources: hf, ollama and file URIs; anything else is refused with what to type', () => {
  expect(parseAddUri('hf://Qwen/Qwen2.5-0.5B-Instruct-GGUF')).toEqual({ kind: 'hf', repo: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF', revision: 'main' });
  expect(parseAddUri('hf://org/model@v1.0')).toEqual({ kind: 'hf', repo: 'org/model', revision: 'v1.0' });
  expect(parseAddUri('ollama://llama3.2:1b')).toEqual({ kind: 'ollama', name: 'llama3.2:1b' });
  expect(parseAddUri('file:///data/my%20models')).toEqual({ kind: 'file', path: '/data/my models' });
  expect(() => parseAddUri('hf://../etc')).toThrow(/hf:\/\/org\/model/);
  expect(() => parseAddUri('hf://org/model@../../x')).toThrow(/bad revision/);
  expect(() => parseAddUri('ollama://')).toThrow(/ollama:\/\/name:tag/);
  expect(() => parseAddUri('s3://bucket/x')).toThrow(/unknown source 's3:\/\/'/);
});

test('manifests: only well-formed digests and sizes pass; hostile ones say why', () => {
  const layer = { mediaType: 'application/vnd.ollama.image.model', digest: 'sha256:' + 'a'.repeat(64), size: 10 };
  expect(typeof parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: 'x', config: layer, layers: [layer] }))).toBe('object');
  expect(parseManifest('not json')).toBe('not JSON');
  expect(parseManifest('null')).toBe('not a JSON object');
  expect(parseManifest(JSON.stringify({ schemaVersion: 1 }))).toMatch(/schemaVersion 1/);
  expect(parseManifest(JSON.stringify({ schemaVersion: 2, config: layer, layers: [{ ...layer, digest: 'sha256:../../../etc/passwd' }] }))).toMatch(/layers/);
  expect(parseManifest(JSON.stringify({ schemaVersion: 2, config: layer, layers: [{ ...layer, size: 1e300 }] }))).toMatch(/layers/);
  expect(parseManifest(JSON.stringify({ schemaVersion: 2, config: { ...layer, size: -1 }, layers: [] }))).toMatch(/config/);
});

test('names and labels', () => {
  expect(ollamaName('registry.ollama.ai', 'library', 'llama3', '8b')).toBe('llama3:8b');
  expect(ollamaName('registry.ollama.ai', 'jmorgan', 'x', 'latest')).toBe('jmorgan/x:latest');
  expect(ollamaName('hf.co', 'bartowski', 'Llama-GGUF', 'Q4_K_M')).toBe('hf.co/bartowski/Llama-GGUF:Q4_K_M');
  expect(parameterLabel(1_235_814_400)).toBe('1.2B');
  expect(parameterLabel(7_241_732_096)).toBe('7.2B');
  expect(parameterLabel(494_032_768)).toBe('494M');
});
