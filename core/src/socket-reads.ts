/**
 * Pausing a socket so that it really stops reading.
 *
 * `socket.pause()` only stops 'data' events: Node keeps reading into the stream's buffer until its high-water mark
 * (tens of KB), so a paused replication socket still wakes the process for every small transaction. Read pacing
 * (runtime/src/pipeline/ReadPacer.ts) needs the bytes to wait in the kernel instead, so this also stops the handle's
 * reads — what Node itself does for sockets created with the `onread` option — and resumeSocketReads() restarts
 * them (resume() alone would not: the stream still counts a read as outstanding and never asks for another).
 */
import type { Socket } from 'node:net';

interface ReadHandle { reading?: boolean; readStop?: () => number; readStart?: () => number }

/** Sockets whose handle reads were stopped here (and only those are restarted here). */
const stopped = new WeakSet<object>();

const handleOf = (socket: object) => (socket as { _handle?: ReadHandle | null })._handle;

/** pause() and stop the handle's reads (TCP and TLS sockets); a no-op on anything else. */
export function pauseSocketReads(socket: Pick<Socket, 'pause'> | null | undefined): void {
  if (!socket) return;
  socket.pause();
  const handle = handleOf(socket);
  if (handle && handle.reading === true && typeof handle.readStop === 'function' && typeof handle.readStart === 'function') {
    handle.reading = false;
    handle.readStop();
    stopped.add(socket);
  }
}

/** Restarts the handle's reads if pauseSocketReads() stopped them, then resume(). */
export function resumeSocketReads(socket: Pick<Socket, 'resume'> | null | undefined): void {
  if (!socket) return;
  restartHandleReads(socket);
  socket.resume();
}

/** Only the handle part of resumeSocketReads(): reads restart, the stream stays paused if something else paused it. */
export function restartHandleReads(socket: object | null | undefined): void {
  if (!socket || !stopped.has(socket)) return;
  stopped.delete(socket);
  const handle = handleOf(socket);
  if (handle && handle.reading === false) {
    handle.reading = true;
    handle.readStart!();
  }
}
