/** `splam solvers`: placeholder until the exact-teacher solver comparison lands. */
import type { Command } from 'commander';

export function registerSolversCommand(_program: Command): void {}
