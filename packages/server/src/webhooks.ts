import type { FastifyBaseLogger } from 'fastify';
import { Webhooks, type Workspace } from '@workbench/core';

/**
 * Delivers the webhook outbox while the server runs: a change made through the API kicks it
 * at once; otherwise it wakes when the next retry falls due (or every few seconds, to pick
 * up changes made by CLI processes). One delivery round at a time.
 */
export function startWebhookDelivery(ws: Workspace, log: FastifyBaseLogger, opts: { idleMs?: number } = {}): { kick: () => void; stop: () => Promise<void> } {
  const hooks = new Webhooks(ws);
  const idleMs = opts.idleMs ?? 5000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(tick, Math.max(10, ms));
    timer.unref();
  };

  async function round(): Promise<void> {
    try {
      const r = await hooks.deliverDue();
      if (r.retrying || r.failed) log.warn({ ...r }, 'webhook deliveries failed');
      const next = await hooks.nextDueAt();
      schedule(next === null ? idleMs : Math.min(idleMs, next - Date.now()));
    } catch (err) {
      log.warn({ err }, 'webhook delivery round failed');
      schedule(idleMs);
    }
  }

  function tick(): void {
    if (stopped || running) return;
    running = round().finally(() => (running = null));
  }

  schedule(50);
  return {
    kick: () => schedule(10),
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
