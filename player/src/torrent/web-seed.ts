import type { Torrent, Wire } from 'webtorrent/dist/webtorrent.min.js';

/**
 * Makes WebTorrent ask the origin (a web seed) only for the pieces `allowed` now, and ask someone else at once for
 * a piece the origin failed to give (a 503).
 */
export function gateWebSeed(torrent: Torrent, wire: Wire, allowed: (index: number) => boolean): void {
  const gate = offerOnly(wire, allowed);
  deliverFailures(torrent, wire, gate);
}

interface Gate {
  /** Runs `task` with the wire's real bitfield in view. */
  bypass(task: () => void): void;
}

/**
 * WebTorrent's piece picker asks a wire only for pieces it has: the wire is made to show only those `allowed`. The
 * wire's bitfield object is replaced when a bitfield message comes, so the property is wrapped.
 */
function offerOnly(wire: Wire, allowed: (index: number) => boolean): Gate {
  type Bits = Wire['peerPieces'];
  let open = false;
  const gate = (bits: Bits): Bits =>
    new Proxy(bits, {
      get: (target, key, receiver) => (key === 'get' ? (index: number) => target.get(index) && (open || allowed(index)) : Reflect.get(target, key, receiver)),
    });
  let gated = gate(wire.peerPieces);
  Object.defineProperty(wire, 'peerPieces', {
    configurable: true,
    enumerable: true,
    get: () => gated,
    set: (next: Bits) => {
      gated = gate(next);
    },
  });
  return {
    bypass: (task) => {
      open = true;
      try {
        task();
      } finally {
        open = false;
      }
    },
  };
}

/**
 * A web seed that fails a piece (a 503) tells the torrent with an lt_donthave message to itself: the piece's
 * request is failed and its blocks are asked of someone else. Until that message, the request stays open (a web
 * seed has no request timeout) and the piece's blocks stay reserved for the origin. WebTorrent sends it only once
 * its extended handshake is through, so an error that came sooner (the first pieces, asked at once) was lost; and
 * lt_donthave drops the message for a piece the wire does not show, which the gate above hides as soon as the
 * video reads past it: either way the piece waited for good. The message is delivered here, past the gate, in any
 * case (a second copy is ignored).
 */
function deliverFailures(torrent: Torrent, wire: Wire, gate: Gate): void {
  const conn = [...torrent._peers.values()].find((peer) => peer.wire === wire)?.conn;
  const request = conn?.httpRequest;
  const donthave = wire.lt_donthave;
  if (!conn || !request || !donthave) return;
  conn.httpRequest = (index, offset, length, callback) =>
    request.call(conn, index, offset, length, (error, data) => {
      if (error) {
        const message = new Uint8Array(4);
        new DataView(message.buffer).setUint32(0, index);
        queueMicrotask(() => {
          if (!wire.destroyed) gate.bypass(() => donthave.onMessage(message));
        });
      }
      callback(error, data);
    });
}
