/**
 * A progress bar on standard error for long imports: `label [#####-----] 1200/5000 840 rows/s`,
 * redrawn in place (`\r`) at most every `REDRAW_MS`. Only on a terminal: when standard
 * error is a file or a pipe nothing is drawn, so logs and scripts see the summary alone.
 */
export interface ProgressOutput {
  write: (text: string) => void;
  /** Is it a terminal? */
  isTTY: boolean;
  /** Terminal width, when known. */
  columns?: number;
}

const REDRAW_MS = 100;
/** Tables smaller than this finish too fast to need a bar. */
const MIN_ROWS = 1000;
const BAR_WIDTH = 30;

export interface Step {
  tick(): void;
  done(): void;
}

const NOOP: Step = { tick: () => {}, done: () => {} };

export class Progress {
  constructor(private readonly out: ProgressOutput, private readonly now: () => number = () => performance.now()) {}

  /** A bar for `total` rows (nothing when not a terminal, or for a small total). */
  step(label: string, total: number): Step {
    if (!this.out.isTTY || total < MIN_ROWS) return NOOP;
    const started = this.now();
    let count = 0;
    let drawnAt = -Infinity;
    const draw = (final: boolean) => {
      const t = this.now();
      if (!final && t - drawnAt < REDRAW_MS) return;
      drawnAt = t;
      const filled = Math.round((count / total) * BAR_WIDTH);
      const seconds = Math.max((t - started) / 1000, 1e-3);
      const line = `${label} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${count}/${total} ${Math.round(count / seconds)} rows/s`;
      this.out.write(`\r${line.slice(0, (this.out.columns ?? 120) - 1)}\x1b[K${final ? '\n' : ''}`);
    };
    return {
      tick: () => {
        count++;
        draw(false);
      },
      done: () => draw(true),
    };
  }
}
