/**
 * The live-run handle of the file store. Metric points go to the run's {@link MetricWriter} (buffered, no
 * index access); every other change is a "commit" (run-base.ts): under the store lock, re-read `run.json`, apply
 * the change, write `run.json` atomically, then mirror the record into the index.
 */
import { utimesSync } from 'node:fs';
import { MetricWriter } from './metrics-log.js';
import { checkArtifactName, type StorePaths } from './paths.js';
import { RunBase, type CommitHost, type LatestPoints } from './run-base.js';
import type { RunRecord } from './types.js';

export { toRunError } from './run-base.js';

/** What a handle needs from its store. */
export interface RunHost extends CommitHost {
  readonly paths: StorePaths;
  /** The handle ended (finished, failed or closed). */
  detach(run: FileRun): void;
}

export interface RunTiming {
  heartbeatMs: number;
}

export class FileRun extends RunBase {
  readonly #host: RunHost;
  readonly #writer: MetricWriter;
  #heartbeat: NodeJS.Timeout | null = null;
  #lastBeat = 0;
  readonly #heartbeatMs: number;
  readonly #heartbeatFile: string;

  constructor(host: RunHost, rec: RunRecord, writer: MetricWriter, timing: RunTiming, latest?: LatestPoints, explicit?: Record<string, number>) {
    super(host, rec, latest, explicit);
    this.#host = host;
    this.#writer = writer;
    this.#heartbeatMs = timing.heartbeatMs;
    this.#heartbeatFile = host.paths.heartbeatFile(rec.id);
    this.#beat();
    this.#heartbeat = setInterval(() => this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  #beat(): void {
    this.#lastBeat = Date.now();
    try {
      utimesSync(this.#heartbeatFile, this.#lastBeat / 1000, this.#lastBeat / 1000);
    } catch {
      // the run folder was removed (deleteRun --force); nothing to keep alive
    }
  }

  protected append(key: string, step: number, value: number, now: number): void {
    this.#writer.append(key, step, value, now);
    if (now - this.#lastBeat >= this.#heartbeatMs) this.#beat();
  }

  async flush(): Promise<void> {
    this.#writer.flushSync();
  }

  /** Flush without awaiting (exit hooks). */
  flushSync(): void {
    this.#writer.flushSync();
  }

  protected artifactPath(name: string): string {
    return this.#host.paths.artifact('logArtifact', this.id, checkArtifactName('logArtifact', name));
  }

  protected artifactsDir(): string {
    return this.#host.paths.artifactsDir(this.id);
  }

  /** Stop timers and close the series file (fsync). Idempotent; used by finish/fail and store.close(). */
  close(fsync = true): void {
    if (this.#heartbeat !== null) {
      clearInterval(this.#heartbeat);
      this.#heartbeat = null;
    }
    this.ended = true;
    this.#writer.close(fsync);
    this.#host.detach(this);
  }

  protected async stopForEnd(): Promise<void> {
    // On a full disk this throws and the run stays open, so finish/fail can be retried.
    this.#writer.flushSync();
    this.close(true);
  }
}
