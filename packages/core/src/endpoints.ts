import { UserError, invalid, notFound } from './errors.js';
import { recordEvent } from './events.js';
import { newId } from './ids.js';
import { iso, now } from './time.js';
import type { Workspace } from './workspace.js';

export const llmEndpointKinds = ['ollama', 'openai', 'workbench'] as const;
export type LlmEndpointKind = (typeof llmEndpointKinds)[number];

export interface LlmEndpoint {
  id: string;
  name: string;
  kind: LlmEndpointKind;
  url: string;
  createdAt: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Local LLM runtimes configured in the workspace (beyond those found at their usual ports). */
export class LlmEndpoints {
  constructor(private readonly ws: Workspace) {}

  async list(): Promise<LlmEndpoint[]> {
    const rows = await this.ws.db.selectFrom('llm_endpoints').selectAll().orderBy('name').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, kind: r.kind as LlmEndpointKind, url: r.url, createdAt: iso(Number(r.created_at)) }));
  }

  /** `url` should already be normalised by the caller (scheme, host, port; no path suffix). */
  async add(input: { name: string; kind: string; url: string }): Promise<LlmEndpoint> {
    if (!NAME.test(input.name)) throw invalid(`'${input.name.slice(0, 80)}' is not a valid endpoint name`, 'use 1-63 letters, digits, . _ - (starting with a letter or digit)');
    if (!(llmEndpointKinds as readonly string[]).includes(input.kind)) throw invalid(`unknown endpoint kind '${input.kind.slice(0, 40)}'`, `use one of: ${llmEndpointKinds.join(', ')}`);
    let u: URL;
    try {
      u = new URL(input.url);
    } catch {
      throw invalid(`'${input.url.slice(0, 200)}' is not a URL`, 'e.g. http://127.0.0.1:11434');
    }
    if ((u.protocol !== 'http:' && u.protocol !== 'https:') || input.url.length > 2000) throw invalid('an endpoint URL must be http(s) and shorter than 2000 characters');
    const id = newId();
    const t = now();
    await this.ws.db.transaction().execute(async (trx) => {
      const clash = await trx.selectFrom('llm_endpoints').select('id').where('name', '=', input.name).executeTakeFirst();
      if (clash) throw new UserError('NAME_TAKEN', `an endpoint named '${input.name}' exists`, { hint: `remove it first: wb llm endpoint rm ${input.name}` });
      await trx.insertInto('llm_endpoints').values({ id, name: input.name, kind: input.kind, url: input.url, created_at: t }).execute();
      await recordEvent(trx, this.ws.actor, { type: 'llm_endpoint.added', entityKind: 'llm_endpoint', entityId: id, payload: { name: input.name, kind: input.kind, url: input.url } });
    });
    this.ws.notify({ events: true });
    return { id, name: input.name, kind: input.kind as LlmEndpointKind, url: input.url, createdAt: iso(t) };
  }

  async remove(ref: string): Promise<LlmEndpoint> {
    const all = await this.list();
    const e = all.find((x) => x.name === ref || x.id === ref);
    if (!e) throw notFound('endpoint', ref, 'see the configured endpoints: wb llm endpoint list');
    await this.ws.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('llm_endpoints').where('id', '=', e.id).execute();
      await recordEvent(trx, this.ws.actor, { type: 'llm_endpoint.removed', entityKind: 'llm_endpoint', entityId: e.id, payload: { name: e.name, url: e.url } });
    });
    this.ws.notify({ events: true });
    return e;
  }
}
