import { describe, expect, it } from 'vitest';
import { SimplePeerTransport } from '../../../../player/src/engine/simple-peer-transport.ts';
import type { PeerChannel } from '../../../../player/src/engine/transport.ts';

// Two real WebRTC ends in one process (node-datachannel), signalled by hand.
async function pair(): Promise<[PeerChannel, PeerChannel]> {
  const transport = new SimplePeerTransport({ iceServers: [], iceCompleteTimeoutMs: 150 });
  const a = transport.createPeer({ initiator: true });
  const b = transport.createPeer({ initiator: false });
  a.on('signal', (data) => b.signal(data));
  b.on('signal', (data) => a.signal(data));
  await Promise.all([a, b].map((end) => new Promise<void>((resolve) => end.on('connect', resolve))));
  return [a, b];
}

describe('SimplePeerTransport', () => {
  it("reports the data channel's send buffer, and says when a full one has drained", async () => {
    const [a, b] = await pair();
    try {
      let received = 0;
      b.on('data', (bytes) => (received += bytes.byteLength));
      let drains = 0;
      a.on('drain', () => (drains += 1));
      expect(a.bufferedAmount).toBe(0);
      // 4 MiB at once: far past the 1 MiB at which a sender waits (PeerSession pauses on bufferedAmount).
      const chunk = new Uint8Array(16 * 1024);
      for (let i = 0; i < 256; i += 1) a.send(chunk);
      expect(a.bufferedAmount).toBeGreaterThan(1 << 20);
      await new Promise<void>((resolve) => a.on('drain', resolve));
      expect(drains).toBe(1);
      expect(a.bufferedAmount).toBeLessThanOrEqual(256 * 1024);
      await expect.poll(() => received).toBe(256 * chunk.byteLength);
    } finally {
      a.destroy();
      b.destroy();
    }
  });
});
