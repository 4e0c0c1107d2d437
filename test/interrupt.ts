// A `splam` child process interrupted with SIGINT the first time its stderr says it is ready (the Ctrl-C tests of
// training, sweeps and the WebGPU resume). Resolves with the exit code and both streams once the child exits.
import { spawn } from 'node:child_process';

export interface Interrupted {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node <args>` with `env`; send SIGINT once `ready(stderr so far)` holds. */
export async function runInterrupted(args: string[], env: NodeJS.ProcessEnv, ready: (stderr: string) => boolean): Promise<Interrupted> {
  const child = spawn(process.execPath, args, { env });
  let stdout = '';
  let stderr = '';
  let sent = false;
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    if (!sent && ready(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stdout, stderr };
}
