/**
 * The `splam` program: its commands, and {@link runCli}, which parses argv and maps every outcome to an exit status.
 * No logic here (vite's lesson): each command parses its flags, lazily imports the module that does the work and
 * calls one function. Kept apart from main.ts (which runs it) so tests can walk every command in-process.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ArgumentError, ConfigError, formatError } from '../errors.js';
import { registerDoctorCommand } from './doctor.js';
import { registerNotebookCommands } from './notebook.js';
import { registerReportCommand } from './report.js';
import { registerResumeCommand } from './resume.js';
import { registerRunCommand } from './run.js';
import { registerRunsCommands } from './runs.js';
import { registerSweepCommand } from './sweep.js';

/** Exit statuses, as `splam --help` lists them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

const EXIT_HELP =
  '\nExit status: 0 success; 1 a run or command failed (a failed run, a store or file problem);\n' +
  '2 invalid input: unknown option, missing argument, bad flag value or config (nothing was run or written);\n' +
  '130 interrupted (training stopped with a checkpoint: splam resume <id> continues it).';

/** splam-lab's version, from package.json (`splam --version`). */
export function splamVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('splam')
    .description('splam-lab: SPLAM / LCM distillation research kernel on TensorFlow.js')
    .version(`splam ${splamVersion()}`, '-V, --version', 'print the version of splam-lab')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', EXIT_HELP);
  registerRunCommand(program);
  registerResumeCommand(program);
  registerSweepCommand(program);
  registerDoctorCommand(program);
  registerRunsCommands(program);
  registerNotebookCommands(program);
  registerReportCommand(program);
  return program;
}

/** Every command under `cmd` (itself included), depth first. */
export function allCommands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap((c) => allCommands(c as Command))];
}

/** Where the CLI writes; tests pass their own. */
export interface CliOutput {
  out: (text: string) => void;
  err: (text: string) => void;
}

const STDIO: CliOutput = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

/** A Node system error (errno): a path that cannot be written, a full disk, a read-only filesystem. */
function isSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).syscall === 'string';
}

/** The exit status of an error a command threw: 2 for bad input, else 1. */
export function exitStatusOf(err: unknown): number {
  return err instanceof ConfigError || err instanceof ArgumentError ? EXIT.usage : EXIT.failed;
}

/** One line (or a splam error's own lines) for people: no stack for bad input or a system error naming its path. */
export function describeError(err: unknown): string {
  if (isSystemError(err)) return `${err.message}`; // e.g. "EROFS: read-only file system, open '/mnt/ro/x'"
  return formatError(err);
}

/**
 * Parse `argv` and run the command. Commander's own errors (unknown option, missing argument, a command group
 * without its subcommand) exit 2 on every subcommand: exitOverride is set on each of them, since commander
 * copies it only to subcommands created after it is set.
 */
export async function runCli(argv: readonly string[], output: CliOutput = STDIO): Promise<number> {
  const program = buildProgram();
  for (const cmd of allCommands(program)) {
    cmd.exitOverride().configureOutput({ writeOut: output.out, writeErr: output.err });
  }
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (err) {
    // commander already printed its message (unknown option, missing argument, --help …)
    if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    output.err(`splam: ${describeError(err)}\n`);
    return exitStatusOf(err);
  }
}
