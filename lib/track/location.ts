/** Store locations (a folder or a `postgres://` URL) as processes on many hosts must see them. Light: no store code. */
import path from 'node:path';
import { canonicalPgUrl, isPostgresUrl, parsePgLocation } from './postgres/url.js';

/**
 * A store location every process can open the same way: a folder made absolute, a `postgres://` URL with its
 * artifact folder made absolute (`?artifacts=`). What a sweep hands its workers.
 * @throws ArgumentError for a malformed `postgres://` URL
 */
export function canonicalStore(location: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return isPostgresUrl(location) ? canonicalPgUrl(location, env, cwd) : path.resolve(cwd, location);
}

/**
 * The folder of files that go with a store: the store folder itself, or a PostgreSQL store's artifact folder
 * (`?artifacts=`, shared by every host). Sweeps keep their plans under `<folder>/sweeps/` (lib/scale/plan.ts).
 * @throws ArgumentError for a malformed `postgres://` URL
 */
export function storeFolder(location: string, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  return isPostgresUrl(location) ? parsePgLocation(location, env, cwd).artifacts : path.resolve(cwd, location);
}
