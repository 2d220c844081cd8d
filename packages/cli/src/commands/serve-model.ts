import type { Command } from 'commander';
import { intOption } from '../options.js';
import { printJson } from '../output.js';

export function registerServeModel(program: Command): void {
  program
    .command('serve-model <refs...>')
    .description('serve predictions of model versions over HTTP (ONNX through onnxruntime, scikit-learn pickles through a Python worker)')
    .option('-p, --port <port>', 'port', '8080')
    .option('--host <host>', 'address to bind (default loopback only)', '127.0.0.1')
    .option('--threads <n>', 'onnxruntime threads per model', '1')
    .option('--json', 'print the address and models as JSON once listening')
    .addHelpText(
      'after',
      `
Examples:
  wb serve-model fraud-classifier@production --port 8080
  curl -s localhost:8080/predict -H 'content-type: application/json' -d '{"rows": [{"amount": 12.5, …}]}'
  curl -s localhost:8080/predict -H 'content-type: application/octet-stream' \\
       -H 'accept: application/octet-stream' --data-binary @rows.f32 -o logits.f32

Routes: GET /health, GET /v1/models, POST /v1/models/<name>/predict, POST /predict (one model).
Requests are checked against the input signature recorded at registration.
Binary requests (ONNX models): little-endian float32 rows in the recorded column order; with
Accept: application/octet-stream the answer is the first output's raw values (?output=NAME
for another), its shape in X-Output-Shape. A pickled scikit-learn model (JSON only) runs in a
supervised Python worker (WB_PYTHON, default /usr/bin/python3), restarted if it dies;
unpickling runs the pickle's code, so serve only your own models.`,
    )
    .action(async (refs: string[], opts: { port: string; host: string; threads: string; json?: boolean }, cmd: Command) => {
      const { openWorkspace } = await import('../context.js');
      const { Models, invalid } = await import('@workbench/core');
      const port = intOption(opts.port, '--port', 0, 65535)!;
      const threads = intOption(opts.threads, '--threads', 1, 256)!;
      const ws = await openWorkspace(cmd, { recover: false });
      const entries = [];
      try {
        const models = new Models(ws);
        const seen = new Set<string>();
        for (const ref of refs) {
          const v = await models.version(ref);
          if (seen.has(v.modelName)) throw invalid(`${v.modelName} is named twice`, 'serve one version per model');
          seen.add(v.modelName);
          entries.push({ name: v.modelName, version: v.version, format: v.format, file: models.artifactPath(v), signature: v.signature });
        }
      } finally {
        await ws.close();
      }
      const { startModelServer } = await import('@workbench/ship');
      const server = await startModelServer({ models: entries, host: opts.host, port, threads });
      const health = server.host.health();
      if (opts.json) printJson({ url: server.url, ...health });
      else {
        for (const m of health.models) process.stdout.write(m.ready ? `serving ${m.name}@${m.version}\n` : `error: ${m.name}@${m.version} failed to load: ${m.error}\n`);
        process.stdout.write(`listening on ${server.url}  (POST ${server.url}/v1/models/<name>/predict; Ctrl-C stops)\n`);
      }
      await new Promise<void>((resolve) => {
        const stop = () => void server.close().then(resolve, resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
