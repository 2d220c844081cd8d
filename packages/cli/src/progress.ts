import cliProgress from 'cli-progress';
import { bytes } from './output.js';

/**
 * A progress bar on stderr that appears only once the work has taken more than `delayMs` and
 * only on a terminal: quick imports stay quiet, and piped output stays clean.
 */
export class DelayedBar {
  private bar: cliProgress.SingleBar | null = null;
  private readonly started = Date.now();
  private total = 0;

  constructor(
    private readonly label: string,
    private readonly delayMs = 1000,
  ) {}

  update(done: number, total: number, detail = ''): void {
    if (!process.stderr.isTTY) return;
    if (!this.bar) {
      if (Date.now() - this.started < this.delayMs) return;
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `${this.label} [{bar}] {percentage}% | {doneH} / {totalH} {detail}`,
          hideCursor: true,
          clearOnComplete: true,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, done, { doneH: bytes(done), totalH: bytes(total), detail });
      this.total = total;
    }
    if (total !== this.total) {
      this.bar.setTotal(total);
      this.total = total;
    }
    this.bar.update(done, { doneH: bytes(done), totalH: bytes(total), detail });
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
