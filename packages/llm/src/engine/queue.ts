/**
 * A per-model admission queue: at most `slots` requests run at once, the rest wait in arrival
 * order, and at most `maxWaiting` may wait — beyond that a request is refused at once instead
 * of piling up behind a busy model. A waiter whose signal aborts leaves the line.
 */
export class QueueFullError extends Error {
  constructor(readonly model: string, readonly maxWaiting: number) {
    super(`model '${model}' is busy: ${maxWaiting} request(s) already waiting`);
  }
}

export class QueueAbortedError extends Error {
  constructor() {
    super('request cancelled while waiting in the queue');
  }
}

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (err: Error) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class FairQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  constructor(
    private readonly name: string,
    private slots: number,
    private readonly maxWaiting: number,
  ) {}

  get active(): number {
    return this.running;
  }
  get queued(): number {
    return this.waiting.length;
  }

  /** Wait for a slot; the returned function gives it back (call it exactly once). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new QueueAbortedError());
    if (this.running < this.slots && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.reject(new QueueFullError(this.name, this.maxWaiting));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.waiting.indexOf(waiter);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(new QueueAbortedError());
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Refuse everyone still waiting (the model is going away). */
  rejectAll(err: Error): void {
    for (const w of this.waiting.splice(0)) {
      w.signal?.removeEventListener('abort', w.onAbort);
      w.reject(err);
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.next();
    };
  }

  private next(): void {
    while (this.running < this.slots && this.waiting.length) {
      const w = this.waiting.shift()!;
      w.signal?.removeEventListener('abort', w.onAbort);
      this.running++;
      w.resolve(this.releaser());
    }
  }
}
