/** `splam report <run-id | experiment>`: a static HTML report with PNG figures, written into the store. */
import type { Command } from 'commander';

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description('write a static HTML report (PNG figures through headless Chromium) of a run or an experiment into the store')
    .argument('<target>', 'a run id or an experiment name')
    .option('--store <dir>', 'run store folder [string] (default: $SPLAM_STORE or ./store)')
    .option('--out <dir>', 'output folder [string] (default: <store>/reports/<target>)')
    .option('--color <metric>', 'summary metric that colours the parallel coordinates of an experiment [string]')
    .option('--json', 'print the result as JSON', false)
    .action(async (target: string, opts: { store?: string; out?: string; color?: string; json: boolean }) => {
      const { openStore } = await import('../track/index.js');
      const { writeRunReport } = await import('../report/build.js');
      const store = await openStore(opts.store, { create: false });
      try {
        const r = await writeRunReport(store, target, {
          outDir: opts.out,
          color: opts.color,
          onProgress: (d, t) => process.stderr.write(`\rrendering figures ${d}/${t}`),
        });
        process.stderr.write('\n');
        if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else process.stdout.write(`${r.kind} report of ${r.target} (${r.runs} run${r.runs === 1 ? '' : 's'}, ${r.figures.length} figures): ${r.html}\n`);
      } finally {
        await store.close();
      }
    });
}
