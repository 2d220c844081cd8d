import { z } from 'zod';
import { modelLineageSchema, modelSignatureSchema, type ModelVersion } from '@workbench/api';
import { NODE_SERVER_FILES, bundleSource, onnxruntimeVersion } from './bundle-sources.js';

export const MANIFEST = 'manifest.json';
export const BUNDLE_FORMAT = 'workbench-model-bundle';

export const manifestFileSchema = z.object({ path: z.string().min(1).max(1024), sha256: z.string().regex(/^[0-9a-f]{64}$/), size: z.number().int().nonnegative() });
export type ManifestFile = z.infer<typeof manifestFileSchema>;

export const bundleManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  formatVersion: z.literal(1),
  kind: z.enum(['zip', 'docker']),
  model: z.object({ name: z.string(), version: z.number().int(), stage: z.string(), aliases: z.array(z.string()), format: z.string(), file: z.string(), sha256: z.string(), size: z.number() }),
  signature: modelSignatureSchema.nullable(),
  lineage: modelLineageSchema,
  card: z.string(),
  start: z.string(),
  files: z.array(manifestFileSchema).max(10_000),
});
export type BundleManifest = z.infer<typeof bundleManifestSchema>;

/** A file of the bundle other than the model: its bytes are known up front. */
export interface SmallFile {
  path: string;
  data: Buffer;
}

export function modelPathInBundle(v: Pick<ModelVersion, 'artifactName'>): string {
  return 'model/' + v.artifactName;
}

function readme(v: ModelVersion, kind: 'zip' | 'docker'): string {
  const cols = v.signature?.inputs.length === 1 ? v.signature.inputs[0]?.columns : undefined;
  const example = cols ? `{"rows": [{${cols.slice(0, 4).map((c) => `"${c}": 0`).join(', ')}${cols.length > 4 ? ', …' : ''}}]}` : '{"inputs": {"<input>": [[…]]}}';
  const start = kind === 'docker' ? `docker build -t ${v.modelName}:${v.version} . && docker run --rm -p 8080:8080 ${v.modelName}:${v.version}` : startCommand(v);
  return [
    `# ${v.modelName} version ${v.version}`,
    '',
    `Exported from Workbench. Stage at export: ${v.stage}. Artifact: \`${modelPathInBundle(v)}\` (SHA-256 ${v.sha256}).`,
    '',
    '## Start',
    '',
    kind === 'docker' ? 'With a Docker engine, in this folder:' : v.format === 'pickle' ? `With Python ${v.lineage.environment?.python ?? '3'} (the scikit-learn and numpy versions in requirements.txt), in this folder:` : 'With Node 18 or newer, in this folder:',
    '',
    '```',
    start,
    '```',
    '',
    kind === 'docker' ? 'The server listens on port 8080.' : `The server listens on http://127.0.0.1:8080 (\`${v.format === 'pickle' ? 'python3 server.py' : 'node server.mjs'} --port 9000 --host 0.0.0.0\` to change).`,
    ...(v.format === 'pickle' ? ['', 'Loading a pickle runs its code: serve only bundles you trust, and check them first with `wb export verify`.'] : []),
    '',
    '## Predict',
    '',
    '```',
    `curl -s localhost:8080/predict -H 'content-type: application/json' -d '${example}'`,
    '```',
    '',
    '`GET /health` reports whether the model loaded. Requests are checked against the signature in',
    '`manifest.json`: unknown or missing columns, wrong types and bodies over 4 MB get a 4xx with a',
    'message. `null` is a missing value.',
    '',
    ...(v.format === 'pickle' ? [] : binaryFormatSection(v)),
    '## Verify',
    '',
    '`manifest.json` lists the SHA-256 of every file; `wb export verify <this bundle>` checks them.',
    '',
  ].join('\n');
}

/** The binary request format, for an ONNX model whose input is one float tensor of fixed-size rows. */
function binaryFormatSection(v: ModelVersion): string[] {
  const input = v.signature?.inputs.length === 1 ? v.signature.inputs[0] : undefined;
  if (!input || (input.dtype !== 'float32' && input.dtype !== 'float64')) return [];
  const inner = input.shape.slice(1);
  const width = input.columns ? input.columns.length : inner.length > 0 && inner.every((d) => d !== null && d >= 0) ? inner.reduce<number>((a, d) => a * (d as number), 1) : null;
  if (width === null) return [];
  const order = input.columns ? `in this column order: ${input.columns.slice(0, 20).join(', ')}${input.columns.length > 20 ? ', …' : ''}` : `(input \`${input.name}\`, shape [${input.shape.map((d) => d ?? 'batch').join(', ')}])`;
  return [
    '### Binary requests',
    '',
    `Rows of numbers can be sent as raw little-endian float32 instead of JSON: ${width} values (${width * 4} bytes) per row, ${order}.`,
    'The number of rows is the body length divided by the row size; a length that does not divide, NaN or',
    '±Infinity get a 400 (the binary format has no missing value: use JSON with `null`). With',
    '`Accept: application/octet-stream` the answer is the first output\'s raw little-endian values',
    '(`?output=NAME` for another), described by the `X-Output-Name`, `X-Output-Dtype` and `X-Output-Shape`',
    'headers; otherwise it is the usual JSON. Errors are always JSON.',
    '',
    '```',
    `curl -s localhost:8080/predict -H 'content-type: application/octet-stream' -H 'accept: application/octet-stream' --data-binary @rows.f32 -o logits.f32`,
    '```',
    '',
    "With numpy: `np.asarray(rows, dtype='<f4').tofile('rows.f32')`, and `np.fromfile('logits.f32', '<f4')` reads the answer.",
    '',
  ];
}

export function startCommand(v: Pick<ModelVersion, 'format'>): string {
  return v.format === 'pickle' ? 'pip install -r requirements.txt && python3 server.py' : 'npm install && node server.mjs';
}

const HEALTHCHECK = (cmd: string) => `HEALTHCHECK --interval=30s --timeout=5s CMD ${cmd}`;

/** Every file of a bundle except the model and the manifest, sorted by path. */
export function bundleFiles(v: ModelVersion, kind: 'zip' | 'docker'): SmallFile[] {
  const files: SmallFile[] = [{ path: 'README.md', data: Buffer.from(readme(v, kind)) }];
  if (v.format === 'pickle') {
    // The versions the run trained with: unpickling needs the same scikit-learn.
    const pkgs = v.lineage.environment?.packages ?? {};
    const pin = (name: string) => (pkgs[name] ? `${name}==${pkgs[name]}` : name);
    files.push({ path: 'requirements.txt', data: Buffer.from([pin('scikit-learn'), pin('numpy')].join('\n') + '\n') });
    files.push({ path: 'pickle_worker.py', data: bundleSource('pickle_worker.py') });
    files.push({ path: 'server.py', data: bundleSource('server.py') });
    if (kind === 'docker') {
      const py = /^(\d+\.\d+)/.exec(v.lineage.environment?.python ?? '')?.[1] ?? '3.11';
      files.push({
        path: 'Dockerfile',
        data: Buffer.from(
          [
            '# Builds as is: docker build -t model . && docker run -p 8080:8080 model',
            `FROM python:${py}-slim`,
            'WORKDIR /srv/model',
            'COPY requirements.txt ./',
            'RUN pip install --no-cache-dir -r requirements.txt',
            'COPY . .',
            'ENV HOST=0.0.0.0 PORT=8080',
            'EXPOSE 8080',
            'USER nobody',
            HEALTHCHECK(`python3 -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/health').status == 200 else 1)"`),
            'CMD ["python3", "server.py"]',
            '',
          ].join('\n'),
        ),
      });
      files.push({ path: '.dockerignore', data: Buffer.from('__pycache__\n') });
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : 1));
  }
  const pkg = {
    name: `${v.modelName.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}-model`,
    version: `${v.version}.0.0`,
    private: true,
    type: 'module',
    description: `Inference server for ${v.modelName} version ${v.version}`,
    scripts: { start: 'node server.mjs' },
    dependencies: { 'onnxruntime-node': onnxruntimeVersion() },
    engines: { node: '>=18' },
  };
  files.push(
    { path: 'package.json', data: Buffer.from(JSON.stringify(pkg, null, 2) + '\n') },
    ...NODE_SERVER_FILES.map((name) => ({ path: name, data: bundleSource(name) })),
  );
  if (kind === 'docker') {
    files.push({
      path: 'Dockerfile',
      data: Buffer.from(
        [
          '# Builds as is: docker build -t model . && docker run -p 8080:8080 model',
          'FROM node:20-bookworm-slim',
          'WORKDIR /srv/model',
          'COPY package.json ./',
          '# The CPU runtime ships inside the npm package; skip the optional GPU downloads.',
          'ENV ONNXRUNTIME_NODE_INSTALL=skip',
          'RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force',
          'COPY . .',
          'ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production',
          'EXPOSE 8080',
          'USER node',
          HEALTHCHECK(`node -e "fetch('http://127.0.0.1:8080/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"`),
          'CMD ["node", "server.mjs"]',
          '',
        ].join('\n'),
      ),
    });
    files.push({ path: '.dockerignore', data: Buffer.from('node_modules\n') });
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : 1));
}

export function buildManifest(v: ModelVersion, kind: 'zip' | 'docker', files: ManifestFile[]): BundleManifest {
  return {
    format: BUNDLE_FORMAT,
    formatVersion: 1,
    kind,
    model: { name: v.modelName, version: v.version, stage: v.stage, aliases: v.aliases, format: v.format, file: modelPathInBundle(v), sha256: v.sha256, size: v.size },
    signature: v.signature,
    lineage: v.lineage,
    card: v.card,
    start: kind === 'docker' ? 'docker build -t model . && docker run -p 8080:8080 model' : startCommand(v),
    files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}
