/**
 * Makes the seeder join swarms before any measured peer arrives. A collection of more than 64 renditions is
 * seeded lazily: the seeder joins a swarm when the tracker first sees a viewer announce it, too late for that
 * viewer's offers (it would wait for its next announce, ~20 s). One stand-in peer announcing every swarm, with no
 * offers, has the seeder join them all; it leaves again before the clients come.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { bytesToBinary, encodeAnnounce } from '../../player/src/engine/tracker-messages.ts';
import { withDeadline } from './seeder-bench-ipc.ts';

export interface Primer {
  /** Leaves every swarm (the tracker drops a closed socket's peers). */
  close(): void;
}

export async function primeSwarms(trackerUrl: string, infoHashes: readonly string[], timeoutMs: number): Promise<Primer> {
  const socket = new WebSocket(trackerUrl);
  const opened = new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`cannot reach the tracker at ${trackerUrl}`));
  });
  try {
    await withDeadline(opened, timeoutMs, `the tracker at ${trackerUrl} did not accept a connection`);
  } catch (error) {
    socket.terminate();
    throw error;
  }
  socket.onerror = null;
  const peerId = bytesToBinary(new Uint8Array(randomBytes(20)));
  for (const hex of infoHashes) {
    const infoHash = bytesToBinary(new Uint8Array(Buffer.from(hex, 'hex')));
    socket.send(encodeAnnounce({ infoHash, peerId, numwant: 0, uploaded: 0, downloaded: 0, event: 'started' }));
  }
  return { close: () => socket.close() };
}
