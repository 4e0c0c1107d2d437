/** `splam resume <run-id>`: continue a training run from its last checkpoint with its recorded config. */
import type { Command } from 'commander';

export function registerResumeCommand(program: Command): void {
  program
    .command('resume')
    .description('continue an interrupted, failed or crashed training run from its last checkpoint (a finished run is refused, exit 2)')
    .argument('<run-id>', 'the run to continue')
    .option('--store <dir>', 'run store folder [string] (default: $SPLAM_STORE or ./store)')
    .option('--json', 'print the result as JSON', false)
    .action(async (id: string, opts: { store?: string; json: boolean }) => {
      const { resumeRunById } = await import('../experiments/runner.js');
      const { progressReporter } = await import('./progress.js');
      const { describeBackend } = await import('../backend.js');
      const progress = progressReporter('splam resume');
      try {
        const result = await resumeRunById(id, {
          storeDir: opts.store,
          onProgress: progress.update,
          onStart: (runId, backend) => process.stderr.write(`run ${runId} resumed on backend ${describeBackend(backend)}\n`),
        });
        progress.stop();
        if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else process.stdout.write(`${result.report}\n\nrun ${result.runId} ${result.stopped ? 'interrupted again' : 'finished'}\n`);
        if (result.stopped) process.exitCode = 130;
      } finally {
        progress.stop();
      }
    });
}
