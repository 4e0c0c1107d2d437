/**
 * Whole-file writes that a kill cannot tear: write a temp file whose name is unique to this process and call
 * (`.<name>.<pid>.<random>.tmp`, unlike steno's one name per target), fsync it, then rename it over the target.
 * A reader sees the old file or the new one, never a mix; two processes never share a temp file.
 * (steno 4, lowdb's writer, uses one temp name per target, `.<name>.tmp` (steno/lib/index.js): two processes
 * writing through lowdb interleave in it, which corrupts the file.)
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/** Temp files are `.<target name>.<pid>.<12 hex>.tmp` in the target's folder (same filesystem, so rename is atomic). */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** Matches temp files left by a killed writer (doctor removes them). */
export const TEMP_FILE_PATTERN = /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/;

/** The pid of the process that wrote a temp file (from its name), or null when the name is not one. */
export function tempFileWriter(name: string): number | null {
  const m = /\.(\d+)\.[0-9a-f]{12}\.tmp$/.exec(name);
  return m && TEMP_FILE_PATTERN.test(name) ? Number(m[1]) : null;
}

/**
 * Atomically replace `file` with `data`.
 * @param fsync flush the data to the device before the rename (default true); without it a kill is still
 *   safe, a power loss may not be.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, fsync = true): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    const fh = await open(tmp, 'wx', 0o644);
    try {
      await fh.writeFile(data);
      if (fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Synchronous twin of {@link writeFileAtomic}, for exit paths and synchronous exporters (model files, network
 * checkpoints): the same temp names, so doctor recognises what a killed writer leaves.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, fsync = true): void {
  const tmp = tempPathFor(file);
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Read a file's bytes; a missing file reads as null (lowdb's rule), any other error is rethrown. */
export async function readBytesOrNull(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Read a UTF-8 text file; a missing file reads as null ({@link readBytesOrNull}). */
export async function readTextOrNull(file: string): Promise<string | null> {
  return (await readBytesOrNull(file))?.toString('utf8') ?? null;
}
