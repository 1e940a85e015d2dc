import { RTCPeerConnection } from 'webrtc-polyfill';

let patched = false;

interface PolyfillPeerConnection {
  readonly iceGatheringState: string;
  onicecandidate: ((event: { candidate: null }) => void) | null;
  dispatchEvent(event: Event): boolean;
}

/**
 * Makes Node's WebRTC (webrtc-polyfill over node-datachannel) say when ICE gathering is over, as browsers do, with
 * an `icecandidate` event whose candidate is null. Without it simple-peer, which WebTorrent's tracker client uses
 * with trickle off and gives no way to configure, waits its 5 s ICE timeout before every offer and answer: each
 * browser would meet the seeder 5 s late. Only `onicecandidate` hears it (what simple-peer listens with), so the
 * polyfill's own list of local candidates stays as it was. Once per process; idempotent.
 */
export function reportEndOfCandidates(): void {
  if (patched) return;
  patched = true;
  const proto = RTCPeerConnection.prototype as unknown as PolyfillPeerConnection;
  const dispatch = proto.dispatchEvent;
  proto.dispatchEvent = function (this: PolyfillPeerConnection, event: Event): boolean {
    const result = dispatch.call(this, event);
    if (event.type === 'icegatheringstatechange' && this.iceGatheringState === 'complete') {
      queueMicrotask(() => this.onicecandidate?.({ candidate: null }));
    }
    return result;
  };
}
