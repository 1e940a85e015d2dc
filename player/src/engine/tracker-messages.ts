/**
 * The WebTorrent tracker protocol's messages: JSON over WebSocket, with info hashes, peer ids and offer ids as
 * 20-character binary strings (one character per byte). Everything from a tracker is checked here before use.
 */
import type { SignalData } from './transport.ts';

/** Bigger frames are dropped unread: a tracker has no reason to send them. */
export const MAX_MESSAGE_CHARS = 64 * 1024;
/** A session description (ICE gathered, trickle off) is a few KiB; anything near this is not one. */
const MAX_SDP_CHARS = 32 * 1024;
const ID_LENGTH = 20;

export type AnnounceEvent = 'started' | 'stopped' | 'completed';

export interface AnnounceRequest {
  infoHash: string;
  peerId: string;
  numwant: number;
  uploaded: number;
  downloaded: number;
  /** Omitted when unknown (the tracker counts us as incomplete). */
  left?: number;
  event?: AnnounceEvent;
  offers?: readonly { offer: SignalData; offerId: string }[];
  trackerId?: string;
}

export interface AnswerRequest {
  infoHash: string;
  peerId: string;
  toPeerId: string;
  answer: SignalData;
  offerId: string;
  trackerId?: string;
}

export type TrackerMessage =
  | {
      kind: 'response';
      interval?: number;
      minInterval?: number;
      complete?: number;
      incomplete?: number;
      trackerId?: string;
      warning?: string;
    }
  | { kind: 'offer'; peerId: string; offerId: string; offer: SignalData }
  | { kind: 'answer'; peerId: string; offerId: string; answer: SignalData }
  | { kind: 'failure'; reason: string }
  | { kind: 'invalid'; reason: string };

export function bytesToBinary(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Only for strings that passed isBinaryId(). */
export function binaryToHex(binary: string): string {
  let out = '';
  for (let i = 0; i < binary.length; i++) out += binary.charCodeAt(i).toString(16).padStart(2, '0');
  return out;
}

export function isBinaryId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length !== ID_LENGTH) return false;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 0xff) return false;
  return true;
}

export function encodeAnnounce(request: AnnounceRequest): string {
  const message: Record<string, unknown> = {
    action: 'announce',
    info_hash: request.infoHash,
    peer_id: request.peerId,
    numwant: request.numwant,
    uploaded: request.uploaded,
    downloaded: request.downloaded,
  };
  if (request.left !== undefined) message.left = request.left;
  if (request.event) message.event = request.event;
  if (request.offers) message.offers = request.offers.map(({ offer, offerId }) => ({ offer, offer_id: offerId }));
  if (request.trackerId !== undefined) message.trackerid = request.trackerId;
  return JSON.stringify(message);
}

export function encodeAnswer(request: AnswerRequest): string {
  const message: Record<string, unknown> = {
    action: 'announce',
    info_hash: request.infoHash,
    peer_id: request.peerId,
    to_peer_id: request.toPeerId,
    answer: request.answer,
    offer_id: request.offerId,
  };
  if (request.trackerId !== undefined) message.trackerid = request.trackerId;
  return JSON.stringify(message);
}

/** A WebSocket frame as text, or why it is not acceptable. */
export function decodeFrame(data: unknown): { text: string } | { problem: string } {
  if (typeof data === 'string') {
    return data.length > MAX_MESSAGE_CHARS ? { problem: `oversize message (${data.length} characters)` } : { text: data };
  }
  const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : ArrayBuffer.isView(data) ? data : undefined;
  if (!bytes) return { problem: 'a message that is neither text nor bytes' };
  if (bytes.byteLength > MAX_MESSAGE_CHARS) return { problem: `oversize message (${bytes.byteLength} bytes)` };
  return { text: new TextDecoder().decode(bytes) };
}

/** Parses one message from a tracker for the swarm `infoHash` (binary). Never throws. */
export function parseTrackerMessage(text: string, infoHash: string): TrackerMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return invalid('a message that is not JSON');
  }
  if (!isRecord(data)) return invalid('a message that is not a JSON object');

  // bittorrent-tracker answers a request it cannot parse with a bare failure, without action or info_hash.
  const failure = data['failure reason'];
  if (failure !== undefined) {
    return typeof failure === 'string' ? { kind: 'failure', reason: failure.slice(0, 200) } : invalid('a non-text failure reason');
  }
  if (data.action !== 'announce') return invalid(`an unexpected action ${JSON.stringify(String(data.action)).slice(0, 40)}`);
  if (!isBinaryId(data.info_hash)) return invalid('a message without a valid info_hash');
  if (data.info_hash !== infoHash) return invalid(`a message for another swarm (${binaryToHex(data.info_hash)})`);

  if (data.offer !== undefined || data.answer !== undefined) return parseRelayed(data);

  const response: Extract<TrackerMessage, { kind: 'response' }> = { kind: 'response' };
  for (const [field, key] of [
    ['interval', 'interval'],
    ['min interval', 'minInterval'],
  ] as const) {
    const value = data[field];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) return invalid(`an invalid ${field}`);
    response[key] = value;
  }
  for (const field of ['complete', 'incomplete'] as const) {
    const value = data[field];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || (value as number) < 0) return invalid(`an invalid ${field} count`);
    response[field] = value as number;
  }
  const trackerId = data['tracker id'];
  if (trackerId !== undefined) {
    if (typeof trackerId !== 'string' || trackerId.length > 256) return invalid('an invalid tracker id');
    response.trackerId = trackerId;
  }
  const warning = data['warning message'];
  if (typeof warning === 'string') response.warning = warning.slice(0, 200);
  return response;
}

function parseRelayed(data: Record<string, unknown>): TrackerMessage {
  if (!isBinaryId(data.peer_id)) return invalid('a relayed offer or answer without a valid peer_id');
  if (!isBinaryId(data.offer_id)) return invalid('a relayed offer or answer without a valid offer_id');
  if (data.offer !== undefined && data.answer !== undefined) return invalid('a message with both an offer and an answer');
  const kind = data.offer !== undefined ? 'offer' : 'answer';
  const description = parseDescription(data[kind], kind);
  if (!description) return invalid(`an invalid ${kind} session description`);
  return kind === 'offer'
    ? { kind, peerId: data.peer_id, offerId: data.offer_id, offer: description }
    : { kind, peerId: data.peer_id, offerId: data.offer_id, answer: description };
}

/** Only the two fields a complete (non-trickle) description has; nothing else from the wire reaches WebRTC. */
function parseDescription(value: unknown, type: 'offer' | 'answer'): SignalData | undefined {
  if (!isRecord(value) || value.type !== type) return undefined;
  if (typeof value.sdp !== 'string' || value.sdp.length > MAX_SDP_CHARS) return undefined;
  return { type, sdp: value.sdp };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(reason: string): TrackerMessage {
  return { kind: 'invalid', reason: `sent ${reason}` };
}
