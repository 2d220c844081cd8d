import { Option, type Command } from 'commander';
import { withWorkspace } from '../context.js';
import { bytes, printJson } from '../output.js';

export function registerExport(program: Command): void {
  const exp = program
    .command('export')
    .description('export a model version with its inference server: a ZIP bundle or a Docker build context')
    .argument('[ref]', 'NAME@VERSION, NAME@production, NAME@champion …')
    .option('--format <format>', 'zip or docker', 'zip')
    .option('--out <path>', 'the ZIP file (zip) or a new folder (docker)')
    // -o/--output as in wb run artifact and wb llm bench export.
    .addOption(new Option('-o, --output <path>', 'the same as --out').hideHelp())
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  wb export fraud-classifier@production --format zip --out bundle.zip
  wb export fraud-classifier@3 --format docker --out ./fraud-image && docker build -t fraud ./fraud-image
  wb export verify bundle.zip

Exports are reproducible (same version → same bytes) and carry a manifest with the SHA-256 of
every file. ONNX models get a Node server (onnxruntime-node); scikit-learn pickles a Python
server (python3 server.py, with the scikit-learn version the run trained with pinned).`,
    )
    .action(async (ref: string | undefined, opts: { format: string; out?: string; output?: string; json?: boolean }, cmd: Command) => {
      const { invalid } = await import('@workbench/core');
      if (opts.out !== undefined && opts.output !== undefined && opts.out !== opts.output) throw invalid('--out and --output name two different places', 'give one of them');
      opts.out ??= opts.output;
      if (!ref) throw invalid('which model version?', 'wb export NAME@production --out bundle.zip   (or: wb export verify FILE)');
      if (opts.format !== 'zip' && opts.format !== 'docker') throw invalid(`--format must be zip or docker, not '${opts.format}'`);
      return withWorkspace(cmd, async (ws) => {
        const { Models } = await import('@workbench/core');
        const { exportZip, exportDocker } = await import('@workbench/ship');
        const models = new Models(ws);
        const v = await models.version(ref);
        const defaultName = opts.format === 'zip' ? `${v.modelName}-v${v.version}.zip` : `${v.modelName}-v${v.version}-docker`;
        let out = opts.out ?? defaultName;
        // Like cp: a ZIP sent to an existing folder goes inside it, under its usual name.
        if (opts.format === 'zip' && opts.out !== undefined) {
          const { stat } = await import('node:fs/promises');
          if ((await stat(opts.out).catch(() => null))?.isDirectory()) out = (await import('node:path')).join(opts.out, defaultName);
        }
        const src = { version: v, artifactPath: models.artifactPath(v) };
        let r;
        if (opts.format === 'zip') {
          const { DelayedBar } = await import('../progress.js');
          const bar = new DelayedBar('exporting');
          try {
            r = await exportZip(src, out, { onProgress: (d, t) => bar.update(d, t) });
          } finally {
            bar.stop();
          }
        } else r = await exportDocker(src, out);
        if (opts.json) return printJson({ out: r.out, bytes: r.bytes, format: opts.format, model: r.manifest.model, files: r.manifest.files });
        process.stdout.write(`exported ${v.modelName}@${v.version} (${v.stage}) to ${r.out} (${bytes(r.bytes)}: ${r.manifest.files.length} files and manifest.json)\n`);
        process.stdout.write(opts.format === 'zip' ? `start it: unzip ${r.out} -d model && cd model && ${r.manifest.start}\n` : `build it: docker build -t ${v.modelName.toLowerCase()}:${v.version} ${r.out}\n`);
      });
    });

  exp
    .command('verify <path>')
    .description('check every file of an exported ZIP or build context against its manifest')
    .option('--json', 'print JSON')
    .action(async (target: string, opts: { json?: boolean }) => {
      const { verifyExport } = await import('@workbench/ship');
      const r = await verifyExport(target);
      if (opts.json) printJson(r);
      else if (r.ok) process.stdout.write(`ok: ${r.model?.name}@${r.model?.version}, ${r.files.length} files match the manifest\n`);
      else for (const f of r.files.filter((x) => x.status !== 'ok')) process.stdout.write(`${f.status}: ${f.path}\n`);
      if (!r.ok) {
        if (!opts.json) process.stderr.write(`error: ${target} does not match its manifest\nhint: do not run it; export it again from the registry\n`);
        process.exitCode = 10;
      }
    });
}
