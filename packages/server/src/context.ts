import type { Artifacts, Datasets, Projects, Runs, Workspace } from '@workbench/core';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunQueue } from './run-queue.js';
import type { StreamHub } from './stream.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** What every route needs: the workspace and its services, the run queue and the live hub. */
export interface ServerContext {
  ws: Workspace;
  version: string;
  projects: Projects;
  runs: Runs;
  artifacts: Artifacts;
  datasets: Datasets;
  queue: RunQueue;
  hub: StreamHub;
}
