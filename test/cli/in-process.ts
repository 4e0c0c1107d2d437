/**
 * Run `splam …` in this process through {@link runCli}, capturing everything it prints: commands write results
 * to process.stdout / process.stderr themselves and runCli reports errors through its output, so both are caught.
 * `process.exitCode` set by a command (130, 1) is folded into the returned code; the one before the call is restored.
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
  const exitBefore = process.exitCode;
  process.exitCode = undefined;
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  // Only text is captured: the test runner's own reports reach stdout as binary chunks (its v8 serializer) and pass.
  const capture = (stream: NodeJS.WriteStream, original: typeof process.stdout.write, add: (t: string) => void) =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) =>
      typeof chunk === 'string' ? (add(chunk), true) : (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest)) as typeof process.stdout.write;
  process.stdout.write = capture(process.stdout, stdout, (t) => void (out += t));
  process.stderr.write = capture(process.stderr, stderr, (t) => void (err += t));
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
  process.exitCode = exitBefore; // the test runner's own (1 after a failed test) stays
  if (code === 0 && typeof set === 'number' && set !== 0) code = set;
  return { code, out, err };
}
