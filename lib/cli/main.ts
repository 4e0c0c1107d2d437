/**
 * The `splam` command. No logic here (vite's lesson): each command parses its flags, lazily imports the module
 * that does the work and calls one function. A ConfigError / ArgumentError prints without a stack and exits 2;
 * any other error exits 1.
 */
import { Command, CommanderError } from 'commander';
import { ArgumentError, ConfigError, formatError } from '../errors.js';
import { registerNotebookCommands } from './notebook.js';
import { registerReportCommand } from './report.js';
import { registerRunsCommands } from './runs.js';
import { registerDoctorCommand } from './doctor.js';
import { registerResumeCommand } from './resume.js';
import { registerRunCommand } from './run.js';
import { registerSweepCommand } from './sweep.js';

export function buildProgram(): Command {
  const program = new Command('splam')
    .description('splam-lab: SPLAM / LCM distillation research kernel on TensorFlow.js')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true });
  registerRunCommand(program);
  registerResumeCommand(program);
  registerSweepCommand(program);
  registerDoctorCommand(program);
  registerRunsCommands(program);
  registerNotebookCommands(program);
  registerReportCommand(program);
  return program;
}

export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its message (unknown option, --help, --version …)
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`splam: ${formatError(err)}\n`);
    return err instanceof ConfigError || err instanceof ArgumentError ? 2 : 1;
  }
}

const code = await main();
// A command may set its own non-zero exit code (130: interrupted with a checkpoint).
if (code !== 0 || process.exitCode === undefined) process.exitCode = code;
