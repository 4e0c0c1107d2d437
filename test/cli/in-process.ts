/**
 * Run `splam …` in this process through {@link runCli}, capturing everything it prints: commands write results
 * to process.stdout / process.stderr themselves and runCli reports errors through its output, so both are caught.
 * `process.exitCode` set by a command (130, 1) is folded into the returned code and reset.
 */
import { runCli } from '../../lib/cli/program.js';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function splamInProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  let out = '';
  let err = '';
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  let code: number;
  try {
    code = await runCli(['node', 'splam', ...args], { out: (t) => void (out += t), err: (t) => void (err += t) });
  } finally {
    process.stdout.write = stdout;
    process.stderr.write = stderr;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const set = process.exitCode;
  process.exitCode = undefined;
  if (code === 0 && typeof set === 'number' && set !== 0) code = set;
  return { code, out, err };
}
