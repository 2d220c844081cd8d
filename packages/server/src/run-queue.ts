import type { Run } from '@workbench/api';
import { OperationalError, Runs, type Workspace } from '@workbench/core';
import { prepareResume, prepareRun, type PreparedRun, type StartRunInput } from '@workbench/runner';
import type { FastifyBaseLogger } from 'fastify';

interface Active {
  prepared: PreparedRun;
  done: Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs started through the API are supervised in this process: at most `max` at once, the
 * rest wait as `queued` and start in the order they were submitted. A queued run cancelled in
 * the meantime (here or by `wb run cancel` in another process) is skipped.
 */
export class RunQueue {
  private readonly pending: PreparedRun[] = [];
  private readonly active = new Map<string, Active>();
  private readonly runs: Runs;
  private closing = false;

  constructor(
    private readonly ws: Workspace,
    private readonly max: number,
    private readonly log: FastifyBaseLogger,
    private readonly graceMs?: number,
  ) {
    this.runs = new Runs(ws);
  }

  get activeCount(): number {
    return this.active.size;
  }
  get pendingCount(): number {
    return this.pending.length;
  }

  async submit(input: StartRunInput): Promise<Run> {
    if (this.closing) throw new OperationalError('UNAVAILABLE', 'the server is stopping', { hint: 'start the run once the server is back, or with wb run' });
    const prepared = await prepareRun(this.ws, { ...input, ...(this.graceMs !== undefined ? { graceMs: this.graceMs } : {}) });
    return this.enqueue(prepared);
  }

  /** Queue the next attempt of a failed, cancelled or lost run. */
  async resume(ref: string): Promise<Run> {
    if (this.closing) throw new OperationalError('UNAVAILABLE', 'the server is stopping', { hint: 'resume the run once the server is back, or with wb run resume' });
    return this.enqueue(await prepareResume(this.ws, ref, this.graceMs !== undefined ? { graceMs: this.graceMs } : {}));
  }

  private enqueue(prepared: PreparedRun): Run {
    this.pending.push(prepared);
    this.pump();
    return prepared.run;
  }

  private pump(): void {
    while (!this.closing && this.active.size < this.max && this.pending.length > 0) {
      const prepared = this.pending.shift()!;
      const id = prepared.run.id;
      const done = prepared
        .start()
        .then((outcome) => this.log.info({ runId: id, status: outcome.status, exitCode: outcome.exitCode }, 'run ended'))
        .catch(async (err: unknown) => {
          this.log.error({ err, runId: id }, 'run supervision failed');
          await this.runs.transition(id, 'failed', { reason: `supervision failed: ${(err as Error).message}`, onlyFrom: ['queued', 'running'] }).catch(() => {});
        })
        .finally(() => {
          this.active.delete(id);
          this.pump();
        });
      this.active.set(id, { prepared, done });
    }
  }

  /**
   * Cancel a run wherever it is: waiting here (dropped from the queue), supervised here
   * (signalled directly), or supervised by another process (asked through the database).
   */
  async cancel(ref: string): Promise<Run> {
    const row = await this.runs.row(ref);
    const i = this.pending.findIndex((p) => p.run.id === row.id);
    if (i >= 0) this.pending.splice(i, 1);
    const run = await this.runs.requestCancel(row.id);
    const a = this.active.get(row.id);
    if (a) void this.signal(a, 'cancelled on request (API)');
    return run;
  }

  /**
   * The supervisor remembers a cancel that arrives before its child exists but does not
   * signal the child it spawns next, so wait until the child is recorded before asking.
   */
  private async signal(a: Active, reason: string): Promise<void> {
    const id = a.prepared.run.id;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && this.active.get(id) === a) {
      const r = await this.ws.db.selectFrom('runs').select(['status', 'child_pid']).where('id', '=', id).executeTakeFirst();
      if (!r || r.status !== 'running') {
        if (r?.status === 'queued') {
          await sleep(5);
          continue;
        }
        return;
      }
      if (r.child_pid != null) break;
      await sleep(5);
    }
    if (this.active.get(id) === a) a.prepared.supervisor.cancel(reason);
  }

  /** Stop: queued runs are cancelled, supervised ones signalled; waits for them at most `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const p of this.pending.splice(0)) {
      await this.runs.transition(p.run.id, 'cancelled', { reason: 'the server stopped before the run started', onlyFrom: ['queued'] }).catch(() => {});
    }
    const actives = [...this.active.values()];
    for (const a of actives) void this.signal(a, 'the server stopped');
    if (actives.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled(actives.map((a) => a.done)), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
    if (timer) clearTimeout(timer);
  }
}
