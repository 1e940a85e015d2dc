import { ProtocolError, ProtocolErrorCodes } from './errors.ts';
import type { ProtocolErrorCode } from './errors.ts';
import {
  DATA_HEADER_BYTES,
  HEADER_BYTES,
  MAX_CHUNK_BYTES,
  MAX_HAVE_IDS,
  MAX_MESSAGE_BYTES,
  MAX_REQUESTS_IN_FLIGHT,
  MAX_SEGMENT_BYTES,
  PROTOCOL_VERSION,
  SWARM_ID_BYTES,
  isU32,
} from './messages.ts';
import type {
  AbsentMessage,
  CancelMessage,
  DataMessage,
  HaveMessage,
  HelloMessage,
  Message,
  MessageType,
  RequestMessage,
} from './messages.ts';

/** The numbers are the protocol; the names are only ours. */
const TYPE_CODES = {
  hello: 0,
  have: 1,
  request: 2,
  data: 3,
  cancel: 4,
  absent: 5,
} as const satisfies Record<MessageType, number>;

const HELLO_BYTES = HEADER_BYTES + SWARM_ID_BYTES + 1 + 2;
const HAVE_MIN_BYTES = HEADER_BYTES + 2 + 2;
const REQUEST_BYTES = HEADER_BYTES + 8;
const CANCEL_BYTES = HEADER_BYTES + 4;
const ABSENT_BYTES = HEADER_BYTES + 8;

/** Hello flag bit 0; the other bits are reserved, so a later version can use them without breaking this one. */
const FLAG_UPLOADS = 0x01;
const FLAG_SEEDER = 0x02;

/**
 * Serializes a message into a fresh buffer (byteOffset 0), one data-channel message. Invalid input is a bug in the
 * caller, not in a peer: it throws TypeError (wrong kind of value) or RangeError (out of range, e.g. a have over
 * MAX_HAVE_IDS, which `splitHave` avoids).
 */
export function encode(message: Message): Uint8Array<ArrayBuffer> {
  if (typeof message !== 'object' || message === null) throw new TypeError('message must be an object');
  switch (message.type) {
    case 'hello':
      return encodeHello(message);
    case 'have':
      return encodeHave(message);
    case 'request':
      return encodeRequest(message);
    case 'data':
      return encodeData(message);
    case 'cancel':
      return encodeCancel(message);
    case 'absent':
      return encodeAbsent(message);
    default:
      throw new TypeError(`unknown message type ${String((message as { type?: unknown }).type)}`);
  }
}

/**
 * Parses one message received from a peer. Anything that is not a valid message of this version throws a
 * ProtocolError, and nothing is allocated on the word of a length or count field before the bytes it announces are
 * known to be present. A data message's `bytes` is a view into `bytes`; hello's `swarm` is a copy (it outlives the
 * message, and a view would pin the whole receive buffer).
 */
export function decode(bytes: Uint8Array): Message {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decode() takes a Uint8Array');
  const length = bytes.byteLength;
  if (length < HEADER_BYTES) fail(ProtocolErrorCodes.LENGTH, `message of ${length} bytes is shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, length);
  const version = view.getUint8(0);
  // The version comes before the size limit: a later version may allow longer messages, and "wrong version" is
  // the more useful thing to report about them.
  if (version !== PROTOCOL_VERSION) {
    fail(ProtocolErrorCodes.VERSION, `protocol version ${version} is not supported (expected ${PROTOCOL_VERSION})`);
  }
  if (length > MAX_MESSAGE_BYTES) {
    fail(ProtocolErrorCodes.LENGTH, `message of ${length} bytes is over MAX_MESSAGE_BYTES (${MAX_MESSAGE_BYTES})`);
  }
  const type = view.getUint8(1);
  switch (type) {
    case TYPE_CODES.hello:
      return decodeHello(bytes, view);
    case TYPE_CODES.have:
      return decodeHave(view);
    case TYPE_CODES.request:
      expectLength(view, REQUEST_BYTES, 'request');
      return { type: 'request', requestId: view.getUint32(2), sn: view.getUint32(6) };
    case TYPE_CODES.data:
      return decodeData(bytes, view);
    case TYPE_CODES.cancel:
      expectLength(view, CANCEL_BYTES, 'cancel');
      return { type: 'cancel', requestId: view.getUint32(2) };
    case TYPE_CODES.absent:
      expectLength(view, ABSENT_BYTES, 'absent');
      return { type: 'absent', requestId: view.getUint32(2), sn: view.getUint32(6) };
    default:
      return fail(ProtocolErrorCodes.TYPE, `unknown message type ${type}`);
  }
}

function encodeHello(message: HelloMessage): Uint8Array<ArrayBuffer> {
  const { swarm, uploads, maxRequests, seeder = false } = message;
  if (!(swarm instanceof Uint8Array)) throw new TypeError('hello.swarm must be a Uint8Array');
  if (swarm.length !== SWARM_ID_BYTES) {
    throw new RangeError(`hello.swarm must be ${SWARM_ID_BYTES} bytes, got ${swarm.length}`);
  }
  if (typeof uploads !== 'boolean') throw new TypeError('hello.uploads must be a boolean');
  requireInteger(maxRequests, 'hello.maxRequests', 1, MAX_REQUESTS_IN_FLIGHT);
  const { out, view } = frame(TYPE_CODES.hello, HELLO_BYTES);
  out.set(swarm, HEADER_BYTES);
  if (typeof seeder !== 'boolean') throw new TypeError('hello.seeder must be a boolean');
  view.setUint8(HEADER_BYTES + SWARM_ID_BYTES, (uploads ? FLAG_UPLOADS : 0) | (seeder ? FLAG_SEEDER : 0));
  view.setUint16(HEADER_BYTES + SWARM_ID_BYTES + 1, maxRequests);
  return out;
}

function encodeHave(message: HaveMessage): Uint8Array<ArrayBuffer> {
  const { added, removed } = message;
  if (!Array.isArray(added)) throw new TypeError('have.added must be an array');
  if (!Array.isArray(removed)) throw new TypeError('have.removed must be an array');
  const count = added.length + removed.length;
  if (count > MAX_HAVE_IDS) {
    throw new RangeError(`have carries ${count} ids, over MAX_HAVE_IDS (${MAX_HAVE_IDS}); split it with splitHave()`);
  }
  const { out, view } = frame(TYPE_CODES.have, HAVE_MIN_BYTES + 4 * count);
  let at = writeIds(view, HEADER_BYTES, added, 'have.added');
  at = writeIds(view, at, removed, 'have.removed');
  return out;
}

function writeIds(view: DataView, start: number, ids: readonly unknown[], name: string): number {
  view.setUint16(start, ids.length);
  let at = start + 2;
  for (const id of ids) {
    requireU32(id, `${name}[]`);
    view.setUint32(at, id);
    at += 4;
  }
  return at;
}

function encodeRequest(message: RequestMessage): Uint8Array<ArrayBuffer> {
  requireU32(message.requestId, 'request.requestId');
  requireU32(message.sn, 'request.sn');
  const { out, view } = frame(TYPE_CODES.request, REQUEST_BYTES);
  view.setUint32(2, message.requestId);
  view.setUint32(6, message.sn);
  return out;
}

function encodeData(message: DataMessage): Uint8Array<ArrayBuffer> {
  const { requestId, sn, offset, total, bytes } = message;
  requireU32(requestId, 'data.requestId');
  requireU32(sn, 'data.sn');
  requireU32(offset, 'data.offset');
  requireU32(total, 'data.total');
  if (!(bytes instanceof Uint8Array)) throw new TypeError('data.bytes must be a Uint8Array');
  if (bytes.length < 1 || bytes.length > MAX_CHUNK_BYTES) {
    throw new RangeError(`data chunk must be 1..${MAX_CHUNK_BYTES} bytes, got ${bytes.length}`);
  }
  if (total > MAX_SEGMENT_BYTES) throw new RangeError(`data.total ${total} is over MAX_SEGMENT_BYTES (${MAX_SEGMENT_BYTES})`);
  if (offset + bytes.length > total) {
    throw new RangeError(`data chunk ${offset}+${bytes.length} ends past the segment's ${total} bytes`);
  }
  const { out, view } = frame(TYPE_CODES.data, DATA_HEADER_BYTES + bytes.length);
  view.setUint32(2, requestId);
  view.setUint32(6, sn);
  view.setUint32(10, offset);
  view.setUint32(14, total);
  out.set(bytes, DATA_HEADER_BYTES);
  return out;
}

function encodeCancel(message: CancelMessage): Uint8Array<ArrayBuffer> {
  requireU32(message.requestId, 'cancel.requestId');
  const { out, view } = frame(TYPE_CODES.cancel, CANCEL_BYTES);
  view.setUint32(2, message.requestId);
  return out;
}

function encodeAbsent(message: AbsentMessage): Uint8Array<ArrayBuffer> {
  requireU32(message.requestId, 'absent.requestId');
  requireU32(message.sn, 'absent.sn');
  const { out, view } = frame(TYPE_CODES.absent, ABSENT_BYTES);
  view.setUint32(2, message.requestId);
  view.setUint32(6, message.sn);
  return out;
}

function frame(type: number, size: number): { out: Uint8Array<ArrayBuffer>; view: DataView } {
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint8(0, PROTOCOL_VERSION);
  view.setUint8(1, type);
  return { out, view };
}

function decodeHello(bytes: Uint8Array, view: DataView): HelloMessage {
  expectLength(view, HELLO_BYTES, 'hello');
  const flags = view.getUint8(HEADER_BYTES + SWARM_ID_BYTES);
  const maxRequests = view.getUint16(HEADER_BYTES + SWARM_ID_BYTES + 1);
  if (maxRequests < 1 || maxRequests > MAX_REQUESTS_IN_FLIGHT) {
    fail(ProtocolErrorCodes.VALUE, `hello.maxRequests ${maxRequests} is outside 1..${MAX_REQUESTS_IN_FLIGHT}`);
  }
  return {
    type: 'hello',
    swarm: viewOf(bytes, HEADER_BYTES, SWARM_ID_BYTES).slice(),
    // Reserved flag bits are ignored so a later version can set them.
    uploads: (flags & FLAG_UPLOADS) !== 0,
    ...((flags & FLAG_SEEDER) !== 0 ? { seeder: true } : {}),
    maxRequests,
  };
}

function decodeHave(view: DataView): HaveMessage {
  const length = view.byteLength;
  if (length < HAVE_MIN_BYTES) fail(ProtocolErrorCodes.LENGTH, `have of ${length} bytes is truncated`);
  const addedCount = view.getUint16(HEADER_BYTES);
  if (addedCount > MAX_HAVE_IDS) fail(ProtocolErrorCodes.VALUE, `have announces ${addedCount} ids, over ${MAX_HAVE_IDS}`);
  let at = HEADER_BYTES + 2;
  // The added ids and the removed count must be present before the ids are read into an array.
  if (at + 4 * addedCount + 2 > length) fail(ProtocolErrorCodes.LENGTH, `have of ${length} bytes is truncated`);
  const added = readIds(view, at, addedCount);
  at += 4 * addedCount;
  const removedCount = view.getUint16(at);
  at += 2;
  if (addedCount + removedCount > MAX_HAVE_IDS) {
    fail(ProtocolErrorCodes.VALUE, `have announces ${addedCount + removedCount} ids, over ${MAX_HAVE_IDS}`);
  }
  const end = at + 4 * removedCount;
  if (end > length) fail(ProtocolErrorCodes.LENGTH, `have of ${length} bytes is truncated`);
  if (end < length) fail(ProtocolErrorCodes.LENGTH, `have has ${length - end} trailing bytes`);
  return { type: 'have', added, removed: readIds(view, at, removedCount) };
}

function readIds(view: DataView, start: number, count: number): number[] {
  const ids = new Array<number>(count);
  for (let i = 0; i < count; i++) ids[i] = view.getUint32(start + 4 * i);
  return ids;
}

function decodeData(bytes: Uint8Array, view: DataView): DataMessage {
  const length = view.byteLength;
  if (length < DATA_HEADER_BYTES) fail(ProtocolErrorCodes.LENGTH, `data of ${length} bytes is truncated`);
  // A chunk over MAX_CHUNK_BYTES cannot get here: decode refused messages over MAX_MESSAGE_BYTES.
  const chunkLength = length - DATA_HEADER_BYTES;
  if (chunkLength === 0) fail(ProtocolErrorCodes.LENGTH, 'data carries an empty chunk');
  const requestId = view.getUint32(2);
  const sn = view.getUint32(6);
  const offset = view.getUint32(10);
  const total = view.getUint32(14);
  if (total > MAX_SEGMENT_BYTES) fail(ProtocolErrorCodes.VALUE, `data.total ${total} is over ${MAX_SEGMENT_BYTES}`);
  if (offset + chunkLength > total) {
    fail(ProtocolErrorCodes.VALUE, `data chunk ${offset}+${chunkLength} ends past the segment's ${total} bytes`);
  }
  return { type: 'data', requestId, sn, offset, total, bytes: viewOf(bytes, DATA_HEADER_BYTES, chunkLength) };
}

function expectLength(view: DataView, expected: number, name: string): void {
  const length = view.byteLength;
  if (length < expected) fail(ProtocolErrorCodes.LENGTH, `${name} of ${length} bytes is truncated (expected ${expected})`);
  if (length > expected) fail(ProtocolErrorCodes.LENGTH, `${name} has ${length - expected} trailing bytes`);
}

/** A plain Uint8Array view, whatever subclass came in (a Node Buffer's `slice` would not copy). */
function viewOf(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset + start, length);
}

function requireU32(value: unknown, name: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!isU32(value)) throw new RangeError(`${name} must be an integer in 0..2^32-1, got ${value}`);
}

function requireInteger(value: unknown, name: string, min: number, max: number): void {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${value}`);
  }
}

function fail(code: ProtocolErrorCode, message: string): never {
  throw new ProtocolError(code, message);
}
