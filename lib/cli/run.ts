/** `splam run <config>`: validate a config, then run it as a recorded run in the store. */
import type { Command } from 'commander';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('run an experiment config (experiments/*.json) and record it in the run store')
    .argument('<config>', 'path to a JSON config')
    .option('--set <path=value>', 'override a config field before validation (repeatable), e.g. --set seed=3', collect, [])
    .option('--name <name>', 'run name [string] (default: the config name or file name)')
    .option('--store <dir>', 'run store folder [string] (default: $SPLAM_STORE or ./store)')
    .option('--json', 'print the result as JSON', false)
    .action(async (config: string, opts: { set: string[]; name?: string; store?: string; json: boolean }) => {
      const { runConfigFile } = await import('../experiments/runner.js');
      const { progressReporter } = await import('./progress.js');
      const { describeBackend } = await import('../backend.js');
      const progress = progressReporter('splam run');
      try {
        const result = await runConfigFile(config, {
          overrides: opts.set,
          storeDir: opts.store,
          name: opts.name,
          onProgress: progress.update,
          onStart: (id, backend) => process.stderr.write(`run ${id} started on backend ${describeBackend(backend)}\n`),
        });
        progress.stop();
        if (opts.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
        else process.stdout.write(`${result.report}\n\nrecorded as run ${result.runId} (splam runs show ${result.runId})\n`);
        if (result.stopped) process.exitCode = 130;
      } finally {
        progress.stop();
      }
    });
}
