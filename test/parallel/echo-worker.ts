// A worker module for the pool tests: echoes tasks after a delay, and fails on request in each way a worker can.
import { threadId } from 'node:worker_threads';
import { ArgumentError } from '../../lib/errors.js';

export interface EchoTask {
  value: number;
  /** Milliseconds to wait before answering (to make workers finish out of order). */
  delayMs?: number;
  /** Throw an ArgumentError with this value. */
  fail?: string;
  /** End the thread with this exit code mid-task. */
  exit?: number;
}

let setupData: unknown;

export function setup(data: { failSetup?: string } | undefined): void {
  if (data?.failSetup) throw new Error(data.failSetup);
  setupData = data;
}

export async function run(task: EchoTask): Promise<{ value: number; threadId: number; setup: unknown }> {
  if (task.delayMs) await new Promise((r) => setTimeout(r, task.delayMs));
  if (task.fail !== undefined) throw new ArgumentError('echo', 'fail', task.fail, 'no failure');
  if (task.exit !== undefined) process.exit(task.exit);
  return { value: task.value * 2, threadId, setup: setupData };
}
