/**
 * `splam notebook kernel`: write the project-local tslab kernelspec (.jupyter/, use with JUPYTER_PATH) and print the
 * command that opens the notebooks with what is installed here.
 * `splam notebook run [notebooks…]`: execute notebooks through Jupyter (nbclient) in fresh kernels, fail on any
 * error output or missing figure, and keep the executed copies (default: notebooks/executed/, git-ignored; never
 * a dot-folder, which Jupyter refuses to open) and print where they are.
 */
import type { Command } from 'commander';

export function registerNotebookCommands(program: Command): void {
  const nb = program.command('notebook').description('the Jupyter notebooks: kernel set-up and execution');
  nb.command('kernel')
    .description('write the project-local tslab kernelspec to .jupyter/ (then: export JUPYTER_PATH=$PWD/.jupyter)')
    .action(async () => {
      const { writeKernelspec } = await import('../notebook/jupyter.js');
      const { openHints } = await import('../notebook/frontends.js');
      const file = writeKernelspec();
      process.stdout.write(`wrote ${file}\n${openHints().join('\n')}\n`);
    });
  nb.command('run')
    .description('execute notebooks (all by default) in fresh tslab kernels; exit 1 on any error output or missing figure')
    .argument('[notebooks...]', 'names, prefixes (00, 03-cumulative) or paths; default all')
    .option('--quick', 'quick mode (SPLAM_QUICK=1): small budgets, what CI runs', false)
    .option('--store <dir>', 'run store for the notebooks\' runs [string] (default: $SPLAM_STORE or ./store)')
    .option('--out <dir>', 'folder for the executed copies, not a dot-folder [string] (default: notebooks/executed)')
    .option('--timeout <s>', 'seconds per cell [integer]', '600')
    .option('--json', 'print the reports as JSON', false)
    .action(async (refs: string[], opts: { quick: boolean; store?: string; out?: string; timeout: string; json: boolean }) => {
      const { ArgumentError } = await import('../errors.js');
      const { executeNotebook, listNotebooks, resolveNotebook } = await import('../notebook/jupyter.js');
      const { EXECUTED_DIR, hiddenSegment, jupyterFrontends, openCommand } = await import('../notebook/frontends.js');
      const { defaultStoreDir } = await import('../track/index.js');
      const { basename, relative, resolve } = await import('node:path');
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout < 1) throw new ArgumentError('splam notebook run', '--timeout', opts.timeout, 'an integer ≥ 1 (seconds per cell)');
      const hidden = opts.out === undefined ? null : hiddenSegment(opts.out);
      if (hidden) {
        throw new ArgumentError('splam notebook run', '--out', opts.out, `a folder with no dot-folder in its path (${hidden}: Jupyter refuses to open files under one), e.g. notebooks/executed`);
      }
      const files = refs.length ? refs.map((r) => resolveNotebook(r)) : listNotebooks();
      const store = opts.store ?? defaultStoreDir();
      const outDir = resolve(opts.out ?? EXECUTED_DIR);
      const reports = [];
      for (const f of files) {
        process.stderr.write(`${basename(f)} … `);
        const r = await executeNotebook(f, { quick: opts.quick, storeDir: store, outDir, timeout });
        reports.push(r);
        process.stderr.write(`${r.ok ? 'ok' : 'FAILED'} in ${r.seconds} s (${r.plotly} plotly, ${r.png} png) → ${r.output}\n`);
        for (const e of r.errors) process.stderr.write(`  cell ${e.cell ?? '?'}: ${e.text.trim().split('\n').slice(0, 8).join('\n    ')}\n`);
        if (r.missingFigures.length) process.stderr.write(`  missing figures: ${r.missingFigures.join(', ')}\n`);
      }
      if (opts.json) process.stdout.write(JSON.stringify(reports, null, 2) + '\n');
      else {
        const frontend = jupyterFrontends()[0];
        const rel = relative(process.cwd(), outDir);
        const open = frontend ? `\nopen them with:  ${openCommand(frontend, rel.startsWith('..') ? outDir : rel || '.')}` : '';
        process.stdout.write(`${reports.filter((r) => r.ok).length}/${reports.length} notebooks ok; executed copies in ${outDir}${open}\n`);
      }
      if (reports.some((r) => !r.ok)) process.exitCode = 1;
    });
}
