/** The version byte every message starts with; a peer speaking another version is refused, not negotiated. */
export const PROTOCOL_VERSION = 1;

/** 16 KiB is the largest data-channel message every browser pair delivers without fragmenting or dropping it. */
export const MAX_CHUNK_BYTES = 16_384;

/** Bounds the buffer a receiver reserves on a peer's word (`total`); far above any real HLS segment. */
export const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

/** Ids (added + removed) in one have message, so one announcement stays well under MAX_MESSAGE_BYTES. */
export const MAX_HAVE_IDS = 1024;

/** Upper bound of hello's `maxRequests`; keeps a peer from claiming an unbounded request budget. */
export const MAX_REQUESTS_IN_FLIGHT = 64;

/** A swarm is named by its tracker info hash (SHA-1 sized). */
export const SWARM_ID_BYTES = 20;

/** Largest unsigned 32-bit integer: segment ids, request ids, offsets and totals are u32 on the wire. */
export const MAX_U32 = 0xffff_ffff;

/** `u8 version`, `u8 type`. */
export const HEADER_BYTES = 2;

/** Header plus `u32 requestId`, `u32 sn`, `u32 offset`, `u32 total`; the chunk follows. */
export const DATA_HEADER_BYTES = HEADER_BYTES + 16;

/** The largest valid message is a data message with a full chunk; anything longer is refused unread. */
export const MAX_MESSAGE_BYTES = DATA_HEADER_BYTES + MAX_CHUNK_BYTES;

/** First message on a channel: both sides check they joined the same swarm and learn each other's limits. */
export interface HelloMessage {
  type: 'hello';
  /** SWARM_ID_BYTES bytes: the info hash, because two peers that met through a tracker may be in different swarms. */
  swarm: Uint8Array;
  /** False for a download-only viewer, which will not serve requests. */
  uploads: boolean;
  /**
   * True for a server seeder, which holds every segment: viewers ask other viewers first and the seeder when none
   * can deliver in time, so the site's seeder uploads about one copy. Optional on encode (false).
   */
  seeder?: boolean;
  /** Requests the sender accepts in flight from this peer, 1..MAX_REQUESTS_IN_FLIGHT. */
  maxRequests: number;
}

/**
 * A change in which segments (by HLS media sequence number) the sender holds. A receiver applies `added` before
 * `removed`, which is what lets `splitHave` cut one change into several messages without changing its meaning.
 */
export interface HaveMessage {
  type: 'have';
  added: number[];
  removed: number[];
}

export interface RequestMessage {
  type: 'request';
  /** Chosen by the requester; names the answer (data, absent) and a later cancel. */
  requestId: number;
  sn: number;
}

/** One chunk of a requested segment; a segment travels as chunks in order, each at most MAX_CHUNK_BYTES. */
export interface DataMessage {
  type: 'data';
  requestId: number;
  sn: number;
  /** Where `bytes` starts in the segment. */
  offset: number;
  /** The whole segment's length, so the receiver can reserve it and knows when it is complete. */
  total: number;
  /** 1..MAX_CHUNK_BYTES bytes. Decoded, it is a view into the received message (no copy): copy it to keep it. */
  bytes: Uint8Array;
}

export interface CancelMessage {
  type: 'cancel';
  requestId: number;
}

/** "I do not have it (any more)": the answer to a request the sender cannot serve, so the requester moves on. */
export interface AbsentMessage {
  type: 'absent';
  requestId: number;
  sn: number;
}

export type Message = HelloMessage | HaveMessage | RequestMessage | DataMessage | CancelMessage | AbsentMessage;

export type MessageType = Message['type'];

/** Whether a value fits a u32 field. */
export function isU32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_U32;
}

/**
 * Cuts one availability change into have messages of at most MAX_HAVE_IDS ids each, added ids first, so applying
 * them in order means the same as applying the change at once. Nothing to announce gives no messages. Ids are
 * checked by `encode`.
 */
export function splitHave(added: readonly number[], removed: readonly number[]): HaveMessage[] {
  const messages: HaveMessage[] = [];
  let a = 0;
  let r = 0;
  while (a < added.length || r < removed.length) {
    const takeAdded = Math.min(added.length - a, MAX_HAVE_IDS);
    const takeRemoved = Math.min(removed.length - r, MAX_HAVE_IDS - takeAdded);
    messages.push({ type: 'have', added: added.slice(a, a + takeAdded), removed: removed.slice(r, r + takeRemoved) });
    a += takeAdded;
    r += takeRemoved;
  }
  return messages;
}

/**
 * The data messages that carry `segment`, in order. Their `bytes` are views into `segment` (no copy), so it must not
 * change until they are encoded. A 0-byte segment yields nothing: a chunk carries at least one byte, and an empty
 * file is no media segment, so a peer holding one answers `absent` instead. Arguments are checked at the call,
 * not at the first chunk.
 */
export function chunkSegment(requestId: number, sn: number, segment: Uint8Array): Generator<DataMessage, void, undefined> {
  if (!isU32(requestId)) throw new RangeError(`requestId must be a u32, got ${String(requestId)}`);
  if (!isU32(sn)) throw new RangeError(`sn must be a u32, got ${String(sn)}`);
  if (!(segment instanceof Uint8Array)) throw new TypeError('segment must be a Uint8Array');
  if (segment.length > MAX_SEGMENT_BYTES) {
    throw new RangeError(`segment of ${segment.length} bytes is over MAX_SEGMENT_BYTES (${MAX_SEGMENT_BYTES})`);
  }
  return chunks(requestId, sn, segment);
}

function* chunks(requestId: number, sn: number, segment: Uint8Array): Generator<DataMessage, void, undefined> {
  const total = segment.length;
  for (let offset = 0; offset < total; offset += MAX_CHUNK_BYTES) {
    yield { type: 'data', requestId, sn, offset, total, bytes: segment.subarray(offset, offset + MAX_CHUNK_BYTES) };
  }
}
