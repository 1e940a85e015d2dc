import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  MAX_CHUNK_BYTES,
  MAX_HAVE_IDS,
  MAX_MESSAGE_BYTES,
  MAX_SEGMENT_BYTES,
  ProtocolError,
  decode,
  encode,
} from '../../../../player/src/protocol/index.ts';
import type { Message } from '../../../../player/src/protocol/index.ts';
import { bytesOf, mutate, placed, prng, u32Of, type Rng } from '../fuzz-random.ts';

const ITERATIONS = 20_000;

function randomMessage(rng: Rng): Message {
  switch (rng.below(6)) {
    case 0:
      return { type: 'hello', swarm: bytesOf(rng, 20), uploads: rng.chance(0.5), maxRequests: 1 + rng.below(64) };
    case 1: {
      const big = rng.chance(0.05);
      const added = Array.from({ length: big ? rng.below(MAX_HAVE_IDS + 1) : rng.below(8) }, () => u32Of(rng));
      const room = MAX_HAVE_IDS - added.length;
      const removed = Array.from({ length: Math.min(room, big ? rng.below(room + 1) : rng.below(8)) }, () => u32Of(rng));
      return { type: 'have', added, removed };
    }
    case 2:
      return { type: 'request', requestId: u32Of(rng), sn: u32Of(rng) };
    case 3: {
      const total = rng.chance(0.2) ? MAX_SEGMENT_BYTES : 1 + rng.below(200_000);
      const length = Math.min(total, rng.chance(0.05) ? MAX_CHUNK_BYTES : 1 + rng.below(40));
      const offset = rng.below(total - length + 1);
      return { type: 'data', requestId: u32Of(rng), sn: u32Of(rng), offset, total, bytes: bytesOf(rng, length) };
    }
    case 4:
      return { type: 'cancel', requestId: u32Of(rng) };
    default:
      return { type: 'absent', requestId: u32Of(rng), sn: u32Of(rng) };
  }
}

interface Outcome {
  accepted: number;
  codes: Map<string, number>;
  failures: string[];
}

/** decode returns a message that encodes back to the same bytes (bar hello's reserved flag bits), or a ProtocolError. */
function check(input: Uint8Array, label: string, outcome: Outcome): void {
  let message: Message;
  try {
    message = decode(input);
  } catch (error) {
    if (error instanceof ProtocolError) {
      outcome.codes.set(error.code, (outcome.codes.get(error.code) ?? 0) + 1);
    } else {
      report(outcome, `${label}: threw ${String(error)}`);
    }
    return;
  }
  outcome.accepted++;
  try {
    const again = encode(message);
    const expected = Uint8Array.from(input);
    if (message.type === 'hello') expected[22] = expected[22] & 3; // bits 0 (uploads) and 1 (seeder) mean something
    if (!isDeepStrictEqual(again, expected) || !isDeepStrictEqual(decode(again), message)) {
      report(outcome, `${label}: accepted bytes that do not re-encode to themselves`);
    }
  } catch (error) {
    report(outcome, `${label}: accepted an invalid message (${String(error)})`);
  }
}

/** A handful of failures say enough; thousands would drown the report. */
function report(outcome: Outcome, failure: string): void {
  if (outcome.failures.length < 10) outcome.failures.push(failure);
}

function newOutcome(): Outcome {
  return { accepted: 0, codes: new Map(), failures: [] };
}

describe('decode under random input', () => {
  it(`accepts or refuses with a ProtocolError ${ITERATIONS} random byte arrays`, () => {
    const rng = prng(0x5eed_0001);
    const outcome = newOutcome();
    for (let i = 0; i < ITERATIONS; i++) {
      const roll = rng.below(100);
      const length =
        roll < 50 ? rng.below(13) : roll < 80 ? rng.below(65) : roll < 95 ? rng.below(5000) : MAX_MESSAGE_BYTES - 4 + rng.below(9);
      const bytes = bytesOf(rng, length);
      // Mostly the right version and a known type, or nearly every input would stop at the header.
      if (length > 0 && rng.chance(0.85)) bytes[0] = 1;
      if (length > 1 && rng.chance(0.85)) bytes[1] = rng.below(7);
      check(placed(rng, bytes), `random #${i}`, outcome);
    }
    expect(outcome.failures).toEqual([]);
    expect(outcome.accepted).toBeGreaterThan(0);
    expect([...outcome.codes.keys()].sort()).toEqual([
      'ERR_PROTOCOL_LENGTH',
      'ERR_PROTOCOL_TYPE',
      'ERR_PROTOCOL_VALUE',
      'ERR_PROTOCOL_VERSION',
    ]);
  });

  it(`accepts or refuses with a ProtocolError ${ITERATIONS} mutations of valid messages`, () => {
    const rng = prng(0x5eed_0002);
    const outcome = newOutcome();
    for (let i = 0; i < ITERATIONS; i++) {
      const message = randomMessage(rng);
      const valid = encode(message);
      if (!isDeepStrictEqual(decode(valid), message)) report(outcome, `message #${i} (${message.type}) does not round-trip`);
      check(placed(rng, mutate(rng, valid)), `mutation #${i} of ${message.type}`, outcome);
    }
    expect(outcome.failures).toEqual([]);
    // Mutations must both slip through (e.g. a changed sn) and be caught, or the test explores nothing.
    expect(outcome.accepted).toBeGreaterThan(ITERATIONS / 10);
    expect([...outcome.codes.keys()].sort()).toEqual([
      'ERR_PROTOCOL_LENGTH',
      'ERR_PROTOCOL_TYPE',
      'ERR_PROTOCOL_VALUE',
      'ERR_PROTOCOL_VERSION',
    ]);
  });
});
