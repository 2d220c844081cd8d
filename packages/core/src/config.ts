import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { invalid } from './errors.js';

/**
 * Every setting Workbench reads from the environment, validated once, with its default.
 * The README's configuration table is written from this list.
 */
const envSchema = z.object({
  /** Workspace folder (also `wb --workspace DIR`). */
  WB_HOME: z.string().min(1).optional(),
  /** Port for `wb serve` when --port is not given; 0 picks a free one. */
  WB_PORT: z.coerce.number().int().min(0).max(65535).default(7878),
  /** Milliseconds between SIGTERM and SIGKILL when a run is cancelled. */
  WB_CANCEL_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** Runs the server executes at once; more wait as `queued`. */
  WB_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).max(256).default(4),
  /** Python interpreter for templates (default: the first python3 that has what the template needs). */
  WB_PYTHON: z.string().min(1).optional(),
  /** pino log level for the server. */
  WB_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Settings = z.infer<typeof envSchema>;

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`environment variable ${String(issue.path[0])}: ${issue.message}`, 'fix or unset it');
  }
  return parsed.data;
}

/** `--workspace DIR`, else $WB_HOME, else ~/.workbench. */
export function resolveWorkspaceDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const dir = flag ?? env.WB_HOME ?? path.join(os.homedir(), '.workbench');
  return path.resolve(dir);
}
