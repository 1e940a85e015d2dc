import { describe, expect, it } from 'vitest';
import {
  DATA_HEADER_BYTES,
  MAX_CHUNK_BYTES,
  MAX_HAVE_IDS,
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BYTES,
  ProtocolError,
  decode,
  encode,
} from '../../../../player/src/protocol/index.ts';
import type { Message, ProtocolErrorCode } from '../../../../player/src/protocol/index.ts';

const U32_MAX = 2 ** 32 - 1;
const swarm = Uint8Array.from({ length: 20 }, (_, i) => i + 1);

function roundTrip(message: Message): Message {
  return decode(encode(message));
}

function expectProtocolError(bytes: Uint8Array | number[], code: ProtocolErrorCode): void {
  const input = bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes);
  let thrown: unknown;
  try {
    decode(input);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ProtocolError);
  expect((thrown as ProtocolError).code).toBe(code);
}

/** Bytes of a message built by hand, so the layout is checked independently of the encoder. */
function wire(...parts: (number[] | Uint8Array)[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => Array.from(p)));
}
const u16 = (n: number): number[] => [(n >>> 8) & 0xff, n & 0xff];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

describe('encode/decode round trips', () => {
  const cases: [string, Message][] = [
    ['hello uploading', { type: 'hello', swarm, uploads: true, maxRequests: 64 }],
    ['hello download-only', { type: 'hello', swarm: new Uint8Array(20).fill(0xff), uploads: false, maxRequests: 1 }],
    ['empty have', { type: 'have', added: [], removed: [] }],
    ['have with both lists', { type: 'have', added: [0, 1, U32_MAX], removed: [7, 2 ** 31] }],
    ['have of 1024 added', { type: 'have', added: Array.from({ length: MAX_HAVE_IDS }, (_, i) => i * 4_000_000), removed: [] }],
    ['have of 1024 removed', { type: 'have', added: [], removed: Array.from({ length: MAX_HAVE_IDS }, (_, i) => U32_MAX - i) }],
    ['have of 512 + 512', { type: 'have', added: Array.from({ length: 512 }, (_, i) => i), removed: Array.from({ length: 512 }, (_, i) => i + 512) }],
    ['request sn 0', { type: 'request', requestId: 0, sn: 0 }],
    ['request sn 2^32-1', { type: 'request', requestId: U32_MAX, sn: U32_MAX }],
    ['data 1 byte', { type: 'data', requestId: 1, sn: 0, offset: 0, total: 1, bytes: Uint8Array.of(42) }],
    [
      'data full chunk at the end of the largest segment',
      {
        type: 'data',
        requestId: U32_MAX,
        sn: U32_MAX,
        offset: MAX_SEGMENT_BYTES - MAX_CHUNK_BYTES,
        total: MAX_SEGMENT_BYTES,
        bytes: Uint8Array.from({ length: MAX_CHUNK_BYTES }, (_, i) => (i * 31) & 0xff),
      },
    ],
    ['cancel', { type: 'cancel', requestId: U32_MAX }],
    ['cancel 0', { type: 'cancel', requestId: 0 }],
    ['absent', { type: 'absent', requestId: 9, sn: U32_MAX }],
    ['absent sn 0', { type: 'absent', requestId: 0, sn: 0 }],
  ];

  it.each(cases)('%s', (_name, message) => {
    expect(roundTrip(message)).toEqual(message);
  });

  it('writes a fresh buffer holding exactly the message', () => {
    const out = encode({ type: 'data', requestId: 1, sn: 2, offset: 0, total: MAX_CHUNK_BYTES, bytes: new Uint8Array(MAX_CHUNK_BYTES) });
    expect(out.byteOffset).toBe(0);
    expect(out.byteLength).toBe(MAX_MESSAGE_BYTES);
    expect(out.buffer.byteLength).toBe(MAX_MESSAGE_BYTES);
  });
});

describe('wire layout (version 1, big-endian)', () => {
  it('hello', () => {
    expect(encode({ type: 'hello', swarm, uploads: true, maxRequests: 2 })).toEqual(
      wire([1, 0], swarm, [1], u16(2)),
    );
    expect(encode({ type: 'hello', swarm, uploads: false, maxRequests: 64 })).toEqual(wire([1, 0], swarm, [0], u16(64)));
  });

  it('have', () => {
    expect(encode({ type: 'have', added: [1, 0x01020304], removed: [U32_MAX] })).toEqual(
      wire([1, 1], u16(2), u32(1), u32(0x01020304), u16(1), u32(U32_MAX)),
    );
  });

  it('request, cancel, absent', () => {
    expect(encode({ type: 'request', requestId: 0x0a0b0c0d, sn: 5 })).toEqual(wire([1, 2], u32(0x0a0b0c0d), u32(5)));
    expect(encode({ type: 'cancel', requestId: 0x0a0b0c0d })).toEqual(wire([1, 4], u32(0x0a0b0c0d)));
    expect(encode({ type: 'absent', requestId: 3, sn: 0x80000000 })).toEqual(wire([1, 5], u32(3), u32(0x80000000)));
  });

  it('data', () => {
    expect(encode({ type: 'data', requestId: 7, sn: 8, offset: 16384, total: 16387, bytes: Uint8Array.of(9, 8, 7) })).toEqual(
      wire([1, 3], u32(7), u32(8), u32(16384), u32(16387), [9, 8, 7]),
    );
  });

  it('decodes hand-written bytes', () => {
    expect(decode(wire([1, 2], u32(U32_MAX), u32(0)))).toEqual({ type: 'request', requestId: U32_MAX, sn: 0 });
  });
});

describe('decode of views', () => {
  function embed(message: Uint8Array, before: number, after: number): Uint8Array {
    const big = new Uint8Array(before + message.length + after).fill(0xee);
    big.set(message, before);
    return big.subarray(before, before + message.length);
  }

  it.each<[string, Message]>([
    ['hello', { type: 'hello', swarm, uploads: true, maxRequests: 8 }],
    ['have', { type: 'have', added: [1, 2, 3], removed: [U32_MAX] }],
    ['request', { type: 'request', requestId: 1, sn: U32_MAX }],
    ['data', { type: 'data', requestId: 1, sn: 2, offset: 3, total: 10, bytes: Uint8Array.of(1, 2, 3) }],
    ['cancel', { type: 'cancel', requestId: 5 }],
    ['absent', { type: 'absent', requestId: 5, sn: 6 }],
  ])('reads %s at a nonzero (and odd) byteOffset in a larger buffer', (_name, message) => {
    const view = embed(encode(message), 13, 7);
    expect(view.byteOffset).toBe(13);
    expect(decode(view)).toEqual(message);
  });

  it('returns data bytes as a view into the input, not a copy', () => {
    const view = embed(encode({ type: 'data', requestId: 1, sn: 2, offset: 0, total: 4, bytes: Uint8Array.of(1, 2, 3, 4) }), 5, 3);
    const decoded = decode(view);
    if (decoded.type !== 'data') throw new Error('expected data');
    expect(decoded.bytes.buffer).toBe(view.buffer);
    expect(decoded.bytes.byteOffset).toBe(5 + DATA_HEADER_BYTES);
    expect(decoded.bytes.constructor).toBe(Uint8Array);
  });

  it('copies hello.swarm, so reusing the receive buffer does not change it', () => {
    const bytes = encode({ type: 'hello', swarm, uploads: true, maxRequests: 4 });
    const decoded = decode(bytes);
    bytes.fill(0);
    expect(decoded).toEqual({ type: 'hello', swarm, uploads: true, maxRequests: 4 });
  });

  it('reads Node Buffers (pooled, with a byteOffset) as plain views', () => {
    const encoded = encode({ type: 'data', requestId: 1, sn: 2, offset: 0, total: 2, bytes: Uint8Array.of(5, 6) });
    const buffer = Buffer.from(encoded);
    const decoded = decode(buffer);
    if (decoded.type !== 'data') throw new Error('expected data');
    expect(decoded.bytes).toEqual(Uint8Array.of(5, 6));
    expect(decoded.bytes.constructor).toBe(Uint8Array);
    const hello = decode(Buffer.from(encode({ type: 'hello', swarm, uploads: false, maxRequests: 1 })));
    if (hello.type !== 'hello') throw new Error('expected hello');
    expect(hello.swarm.constructor).toBe(Uint8Array);
  });
});

describe('decode rejects', () => {
  const request = Array.from(encode({ type: 'request', requestId: 1, sn: 2 }));
  const helloBytes = (maxRequests: number, flags = 1): number[] => [1, 0, ...swarm, flags, ...u16(maxRequests)];
  const dataHeader = (offset: number, total: number): number[] => [1, 3, ...u32(1), ...u32(2), ...u32(offset), ...u32(total)];

  it('empty and 1-byte input', () => {
    expectProtocolError([], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1], 'ERR_PROTOCOL_LENGTH');
  });

  it('another version', () => {
    expectProtocolError([0, ...request.slice(1)], 'ERR_PROTOCOL_VERSION');
    expectProtocolError([2, ...request.slice(1)], 'ERR_PROTOCOL_VERSION');
    expectProtocolError([255, 2], 'ERR_PROTOCOL_VERSION');
  });

  it('an unknown type', () => {
    expectProtocolError([1, 6], 'ERR_PROTOCOL_TYPE');
    expectProtocolError([1, 255, 0, 0, 0, 0], 'ERR_PROTOCOL_TYPE');
  });

  it('trailing bytes after a fixed-size message', () => {
    expectProtocolError([...request, 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([...helloBytes(4), 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 4, ...u32(1), 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 5, ...u32(1), ...u32(2), 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 1, ...u16(0), ...u16(0), 0], 'ERR_PROTOCOL_LENGTH');
  });

  it('truncated fields', () => {
    for (let n = 2; n < request.length; n++) expectProtocolError(request.slice(0, n), 'ERR_PROTOCOL_LENGTH');
    const hello = helloBytes(4);
    for (let n = 2; n < hello.length; n++) expectProtocolError(hello.slice(0, n), 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 4, 0, 0, 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 5, ...u32(1)], 'ERR_PROTOCOL_LENGTH');
    for (let n = 2; n < DATA_HEADER_BYTES; n++) expectProtocolError(dataHeader(0, 1).slice(0, n), 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 1], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 1, 0, 0, 0], 'ERR_PROTOCOL_LENGTH');
  });

  it('have counts beyond the remaining bytes', () => {
    expectProtocolError([1, 1, ...u16(1), ...u16(0)], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 1, ...u16(2), ...u32(5), ...u16(0), 0, 0], 'ERR_PROTOCOL_LENGTH');
    expectProtocolError([1, 1, ...u16(0), ...u16(2), ...u32(5)], 'ERR_PROTOCOL_LENGTH');
    // a count that claims the whole limit in a tiny message must fail before anything is allocated for it
    expectProtocolError([1, 1, ...u16(MAX_HAVE_IDS), ...u16(0)], 'ERR_PROTOCOL_LENGTH');
  });

  it('have counts over MAX_HAVE_IDS', () => {
    expectProtocolError([1, 1, ...u16(MAX_HAVE_IDS + 1), ...new Array<number>(4 * (MAX_HAVE_IDS + 1)).fill(0), ...u16(0)], 'ERR_PROTOCOL_VALUE');
    expectProtocolError([1, 1, ...u16(0xffff), ...u16(0)], 'ERR_PROTOCOL_VALUE');
    expectProtocolError(
      [1, 1, ...u16(600), ...new Array<number>(4 * 600).fill(0), ...u16(425), ...new Array<number>(4 * 425).fill(0)],
      'ERR_PROTOCOL_VALUE',
    );
    // exactly at the limit is fine
    const atLimit = decode(
      Uint8Array.from([1, 1, ...u16(600), ...new Array<number>(4 * 600).fill(0), ...u16(424), ...new Array<number>(4 * 424).fill(0)]),
    );
    expect(atLimit.type).toBe('have');
  });

  it('a data chunk of length 0', () => {
    expectProtocolError(dataHeader(0, 1), 'ERR_PROTOCOL_LENGTH');
  });

  it('a data chunk over MAX_CHUNK_BYTES (the message is over MAX_MESSAGE_BYTES)', () => {
    const bytes = new Uint8Array(DATA_HEADER_BYTES + MAX_CHUNK_BYTES + 1);
    bytes.set(dataHeader(0, MAX_SEGMENT_BYTES));
    expectProtocolError(bytes, 'ERR_PROTOCOL_LENGTH');
  });

  it('a data chunk ending past total', () => {
    expectProtocolError([...dataHeader(0, 2), 1, 2, 3], 'ERR_PROTOCOL_VALUE');
    expectProtocolError([...dataHeader(10, 10), 1], 'ERR_PROTOCOL_VALUE');
    expectProtocolError([...dataHeader(U32_MAX, MAX_SEGMENT_BYTES), 1], 'ERR_PROTOCOL_VALUE');
    expectProtocolError([...dataHeader(0, 0), 1], 'ERR_PROTOCOL_VALUE');
    expect(decode(Uint8Array.from([...dataHeader(9, 10), 1])).type).toBe('data');
  });

  it('a data total over MAX_SEGMENT_BYTES', () => {
    expectProtocolError([...dataHeader(0, MAX_SEGMENT_BYTES + 1), 1], 'ERR_PROTOCOL_VALUE');
    expectProtocolError([...dataHeader(0, U32_MAX), 1], 'ERR_PROTOCOL_VALUE');
  });

  it('hello maxRequests 0 or over 64', () => {
    expectProtocolError(helloBytes(0), 'ERR_PROTOCOL_VALUE');
    expectProtocolError(helloBytes(65), 'ERR_PROTOCOL_VALUE');
    expectProtocolError(helloBytes(0xffff), 'ERR_PROTOCOL_VALUE');
  });

  it('but ignores reserved hello flag bits (bit 0: uploads, bit 1: seeder)', () => {
    expect(decode(Uint8Array.from(helloBytes(3, 0xfc)))).toEqual({ type: 'hello', swarm, uploads: false, maxRequests: 3 });
    expect(decode(Uint8Array.from(helloBytes(3, 0xfe)))).toEqual({ type: 'hello', swarm, uploads: false, seeder: true, maxRequests: 3 });
    expect(decode(Uint8Array.from(helloBytes(3, 0xff)))).toEqual({ type: 'hello', swarm, uploads: true, seeder: true, maxRequests: 3 });
    expect(decode(encode({ type: 'hello', swarm, uploads: true, seeder: true, maxRequests: 3 }))).toMatchObject({ seeder: true });
  });

  it('any message longer than MAX_MESSAGE_BYTES, whatever its type', () => {
    for (const type of [0, 1, 2, 3, 4, 5, 9]) {
      const bytes = new Uint8Array(MAX_MESSAGE_BYTES + 1);
      bytes[0] = 1;
      bytes[1] = type;
      expectProtocolError(bytes, 'ERR_PROTOCOL_LENGTH');
    }
    expectProtocolError(new Uint8Array(1 << 20).fill(1), 'ERR_PROTOCOL_LENGTH');
  });

  it('with a ProtocolError that is an Error with a name, code and message', () => {
    try {
      decode(Uint8Array.of(7, 0));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name: 'ProtocolError', code: 'ERR_PROTOCOL_VERSION' });
      expect((error as Error).message).toMatch(/version 7/);
    }
  });

  it('a non-Uint8Array argument as a programmer error (TypeError)', () => {
    expect(() => decode(new ArrayBuffer(4) as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('encode rejects programmer errors', () => {
  const data = { type: 'data', requestId: 1, sn: 2, offset: 0, total: 10, bytes: Uint8Array.of(1) } as const;

  it.each<[string, unknown, ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor]>([
    ['a non-object', null, TypeError],
    ['an unknown type', { type: 'nope' }, TypeError],
    ['a short swarm', { type: 'hello', swarm: new Uint8Array(19), uploads: true, maxRequests: 1 }, RangeError],
    ['a long swarm', { type: 'hello', swarm: new Uint8Array(21), uploads: true, maxRequests: 1 }, RangeError],
    ['a swarm that is not bytes', { type: 'hello', swarm: 'abc', uploads: true, maxRequests: 1 }, TypeError],
    ['uploads that is not a boolean', { type: 'hello', swarm, uploads: 1, maxRequests: 1 }, TypeError],
    ['maxRequests 0', { type: 'hello', swarm, uploads: true, maxRequests: 0 }, RangeError],
    ['maxRequests 65', { type: 'hello', swarm, uploads: true, maxRequests: 65 }, RangeError],
    ['maxRequests 1.5', { type: 'hello', swarm, uploads: true, maxRequests: 1.5 }, RangeError],
    ['have lists that are not arrays', { type: 'have', added: 'x', removed: [] }, TypeError],
    ['a have over MAX_HAVE_IDS', { type: 'have', added: new Array<number>(1000).fill(1), removed: new Array<number>(25).fill(2) }, RangeError],
    ['a negative have id', { type: 'have', added: [-1], removed: [] }, RangeError],
    ['a have id over u32', { type: 'have', added: [], removed: [2 ** 32] }, RangeError],
    ['a fractional have id', { type: 'have', added: [1.5], removed: [] }, RangeError],
    ['a have id that is not a number', { type: 'have', added: ['1'], removed: [] }, TypeError],
    ['a NaN sn', { type: 'request', requestId: 1, sn: Number.NaN }, RangeError],
    ['an Infinity requestId', { type: 'request', requestId: Number.POSITIVE_INFINITY, sn: 1 }, RangeError],
    ['a bigint requestId', { type: 'cancel', requestId: 1n }, TypeError],
    ['a missing requestId', { type: 'cancel' }, TypeError],
    ['a negative absent sn', { type: 'absent', requestId: 1, sn: -1 }, RangeError],
    ['an empty chunk', { ...data, bytes: new Uint8Array(0) }, RangeError],
    ['a chunk over MAX_CHUNK_BYTES', { ...data, total: 100_000, bytes: new Uint8Array(MAX_CHUNK_BYTES + 1) }, RangeError],
    ['chunk bytes that are not bytes', { ...data, bytes: [1] }, TypeError],
    ['a chunk past total', { ...data, offset: 10, total: 10 }, RangeError],
    ['a total over MAX_SEGMENT_BYTES', { ...data, total: MAX_SEGMENT_BYTES + 1 }, RangeError],
    ['an offset over u32', { ...data, offset: 2 ** 32 }, RangeError],
  ])('%s', (_name, message, errorType) => {
    expect(() => encode(message as Message)).toThrow(errorType);
  });
});
