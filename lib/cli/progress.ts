/**
 * Progress for long CLI work: a cli-progress bar on an interactive stderr, and one plain line per ~10% (plus the
 * last) otherwise, so logs of CI and background jobs still show where a run is.
 */
import cliProgress from 'cli-progress';
import type { Progress } from '../experiments/kind.js';

export function progressReporter(title: string, stream: NodeJS.WriteStream = process.stderr): { update: Progress; stop(): void } {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${title} [{bar}] {percentage}% | {value}/{total} | {label} | eta {eta_formatted}`, stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: ({ done, total, label }) => {
        if (!started) {
          bar.start(total, 0, { label });
          started = true;
        }
        bar.update(done, { label });
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastDecile = -1;
  const t0 = Date.now();
  return {
    update: ({ done, total, label }) => {
      const decile = Math.floor((10 * done) / total);
      if (decile !== lastDecile || done === total) {
        lastDecile = decile;
        stream.write(`${title}: ${done}/${total} (${Math.round((100 * done) / total)}%) ${label} [${((Date.now() - t0) / 1000).toFixed(1)} s]\n`);
      }
    },
    stop: () => {},
  };
}
