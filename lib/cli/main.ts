/**
 * The `splam` command (bin/splam.mjs runs this file): the program and its exit statuses live in program.ts.
 * A ConfigError / ArgumentError or a commander usage error prints without a stack and exits 2; any other error
 * exits 1.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv);
// A command may set its own non-zero exit code (130: interrupted with a checkpoint).
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
