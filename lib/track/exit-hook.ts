/**
 * Run a synchronous callback when the process is about to end: normal exit, `process.exit()`, `beforeExit`,
 * and fatal signals (SIGINT, SIGTERM, SIGHUP, …). Nothing can run on SIGKILL; see metrics-log.ts for what
 * survives it.
 *
 * Signals go through signal-exit — the *same copy* proper-lockfile already loaded (it removes its lock
 * directory on exit that way). signal-exit's rule is what we want: on a signal it runs the callbacks and
 * re-raises the signal only when no one else listens for it; if another handler exists (a notebook kernel's
 * SIGINT = "interrupt the cell"), the process keeps running and so does the run. Installing our own signal
 * listeners instead would either swallow fatal signals or kill a kernel on interrupt. A second copy of
 * signal-exit (say v4 beside proper-lockfile's v3) would make each treat the other as "someone else" and
 * neither would re-raise, so we resolve it from proper-lockfile's own folder.
 */
import { createRequire } from 'node:module';

type OnExit = (cb: (code: number | null, signal: string | null) => void, opts?: { alwaysLast?: boolean }) => () => void;

function loadSignalExit(): OnExit | null {
  try {
    const req = createRequire(import.meta.url);
    const fromLock = createRequire(req.resolve('proper-lockfile'));
    return fromLock('signal-exit') as OnExit;
  } catch {
    return null;
  }
}

/**
 * Register `cb` (synchronous, must not throw) for process end. Returns a function that unregisters it.
 * Without signal-exit (not expected) it falls back to `exit` only.
 */
export function onProcessEnd(cb: () => void): () => void {
  const safe = () => {
    try {
      cb();
    } catch {
      // exit paths must not throw
    }
  };
  const onExit = loadSignalExit();
  const removeExit = onExit
    ? onExit(safe)
    : (() => {
        process.on('exit', safe);
        return () => process.off('exit', safe);
      })();
  process.on('beforeExit', safe);
  return () => {
    removeExit();
    process.off('beforeExit', safe);
  };
}
