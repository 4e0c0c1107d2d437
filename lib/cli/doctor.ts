/**
 * `splam doctor`: what this machine gives splam-lab — Node, the tensor backend chosen (one line; `--verbose`: every
 * patched kernel and why other backends were skipped), Chromium, Jupyter, the kernelspec and the run store.
 */
import type { Command } from 'commander';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the environment: Node, tensor backend, Chromium, Jupyter, the kernelspec, run store')
    .option('--store <dir>', 'run store: a folder or postgres://… [string] (default: $SPLAM_STORE or ./store)')
    .option('-v, --verbose', 'the backend in full: every patched kernel and why other backends were skipped', false)
    .action(async (opts: { store?: string; verbose: boolean }) => {
      const { initBackend } = await import('../backend.js');
      const { defaultStoreDir, isPostgresUrl, redactStoreUrl } = await import('../track/index.js');
      const checks = await import('./doctor-checks.js');
      const { existsSync } = await import('node:fs');
      const lines: string[] = [];
      const [major, minor] = process.versions.node.split('.').map(Number);
      const nodeOk = major > 20 || (major === 20 && minor >= 19);
      lines.push(checks.line('node', `${process.version}${nodeOk ? '' : '  (needs >= 20.19 for require(esm) in notebooks)'}`));
      lines.push(...checks.backendLine(await initBackend(), opts.verbose));
      const { parseDawnBackend, probeWebGpu } = await import('../backend/webgpu.js');
      lines.push(...checks.webgpuLines(await probeWebGpu(parseDawnBackend(process.env.SPLAM_WEBGPU_BACKEND))));
      lines.push(...checks.formatChecks([checks.chromiumCheck(), checks.jupyterCheck(), checks.kernelspecCheck()]));
      const dir = opts.store ?? defaultStoreDir();
      lines.push(checks.line('store', isPostgresUrl(dir) ? `${redactStoreUrl(dir)} (PostgreSQL)` : `${dir}${existsSync(dir) ? '' : ' (created on the first run)'}`));
      process.stdout.write(lines.join('\n') + '\n');
    });
}
