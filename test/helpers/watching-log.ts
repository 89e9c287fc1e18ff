/**
 * A logger for tests that remembers the info messages it passes on (e.g. to wait for "snapshot finished" before
 * running DDL meant for CDC: DDL while the locked snapshot still reads a table stops the task,
 * FERRY_SOURCE_DDL_DURING_SNAPSHOT).
 */
import type { Logger } from '../../core/src/types.ts';

export function watchingLog(inner: Logger): { log: Logger; seen: (text: string) => boolean } {
  const msgs: string[] = [];
  const wrap = (l: Logger): Logger => ({
    debug: (o, m) => l.debug(o, m), warn: (o, m) => l.warn(o, m), error: (o, m) => l.error(o, m),
    info: (o, m) => { msgs.push(typeof o === 'string' ? o : m ?? ''); l.info(o, m); },
    child: (b) => wrap(l.child(b)),
  });
  return { log: wrap(inner), seen: (text) => msgs.some((m) => m.includes(text)) };
}

/** Waits until `seen(text)` (up to `timeoutMs`), and says whether it was. */
export async function waitForLog(w: { seen: (text: string) => boolean }, text: string, timeoutMs = 60000): Promise<boolean> {
  for (const end = Date.now() + timeoutMs; Date.now() < end && !w.seen(text);) await new Promise((r) => setTimeout(r, 100));
  return w.seen(text);
}
