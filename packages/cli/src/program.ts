import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCache } from './commands/cache.js';
import { registerDataset } from './commands/dataset.js';
import { registerLlm } from './commands/llm.js';
import { registerExport } from './commands/export.js';
import { registerModel } from './commands/model.js';
import { registerServeModel } from './commands/serve-model.js';
import { llmGroup, registerLlmConform, registerLlmServe } from './commands/llm-serve.js';
import { registerGc, registerServe, registerTemplate, registerWorkspace } from './commands/misc.js';
import { registerNew } from './commands/new.js';
import { registerPlan } from './commands/plan.js';
import { registerProject } from './commands/project.js';
import { registerRun } from './commands/run.js';

// The bundler writes the version in; unbundled (tests, tsc output) it is read from package.json.
declare const __WB_VERSION__: string | undefined;
export const version: string =
  typeof __WB_VERSION__ === 'string' ? __WB_VERSION__ : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('wb')
    .description('Workbench: track, train, ship and run models on your own machine')
    .version(version, '-V, --version')
    .option('-w, --workspace <dir>', 'workspace folder (default $WB_HOME or ~/.workbench)')
    .option('--as <name>', 'who you are, recorded on every change (default $WB_USER, else your login name); without team mode a convention, not a security boundary')
    .showHelpAfterError('(wb --help lists the commands)')
    .configureHelp({ sortSubcommands: false })
    // Usage mistakes (unknown option, missing argument) throw instead of exiting 1, so bin.ts
    // can give them the bad-input exit status; subcommands inherit this.
    .exitOverride();
  registerProject(program);
  registerDataset(program);
  registerRun(program);
  registerTemplate(program);
  registerServe(program);
  registerWorkspace(program);
  registerGc(program);
  registerPlan(program);
  registerModel(program);
  registerExport(program);
  registerServeModel(program);
  registerCache(program);
  registerLlmServe(llmGroup(program));
  registerLlmConform(llmGroup(program));
  registerNew(program);
  registerLlm(program);
  pointUsageErrorsAtHelp(program);
  return program;
}

/** A usage mistake ends with the help command of the command it was made in, not only wb's. */
function pointUsageErrorsAtHelp(cmd: Command, path: string[] = []): void {
  for (const sub of cmd.commands) {
    const subPath = [...path, sub.name()];
    sub.showHelpAfterError(`(wb ${subPath.join(' ')} --help lists its ${sub.commands.length > 0 ? 'commands' : 'options'})`);
    pointUsageErrorsAtHelp(sub, subPath);
  }
}
