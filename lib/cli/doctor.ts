/** `splam doctor`: what this machine gives splam-lab — Node, the tensor backend chosen and why, the run store. */
import type { Command } from 'commander';

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('check the environment: Node, tensor backends, run store')
    .option('--store <dir>', 'run store folder [string] (default: $SPLAM_STORE or ./store)')
    .action(async (opts: { store?: string }) => {
      const { initBackend, describeBackend } = await import('../backend.js');
      const { defaultStoreDir } = await import('../track/index.js');
      const { existsSync } = await import('node:fs');
      const lines: string[] = [];
      const [major, minor] = process.versions.node.split('.').map(Number);
      const nodeOk = major > 20 || (major === 20 && minor >= 19);
      lines.push(`node      ${process.version}${nodeOk ? '' : '  (needs >= 20.19 for require(esm) in notebooks)'}`);
      const info = await initBackend();
      lines.push(`backend   ${describeBackend(info)}`);
      for (const s of info.skipped) lines.push(`          skipped ${s.name}: ${s.reason}`);
      const dir = opts.store ?? defaultStoreDir();
      lines.push(`store     ${dir}${existsSync(dir) ? '' : ' (created on the first run)'}`);
      process.stdout.write(lines.join('\n') + '\n');
    });
}
