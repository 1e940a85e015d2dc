import type { IncomingMessage } from 'node:http';
import type { BeaconBody } from '../../../player/src/protocol/beacon.ts';

/** A beacon as a player sends it, checked. */
export type Beacon = BeaconBody;

export type Checked<T> = { ok: true; value: T } | { ok: false; status: number; message: string };

/** navigator.sendBeacon bodies are small; anything bigger is not a beacon. */
export const MAX_BEACON_BYTES = 4096;
const BODY_TIMEOUT_MS = 10_000;
const SESSION = /^[A-Za-z0-9_-]{16,64}$/;
const EVENTS = new Set(['start', 'progress', 'end']);
const BYTE_FIELDS = ['httpBytes', 'p2pBytes', 'uploadBytes'] as const;
const MAX_WATCH_SECONDS = 1e7;
const MAX_RENDITION_LENGTH = 200;

/**
 * Reads a request body of at most `limit` bytes. A bigger one is refused as soon as its Content-Length says so, or
 * as soon as the bytes read pass the limit: the rest is never read.
 */
export function readBody(req: IncomingMessage, limit = MAX_BEACON_BYTES): Promise<Checked<Buffer>> {
  const tooBig: Checked<Buffer> = { ok: false, status: 400, message: `beacon body larger than ${limit} bytes` };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(tooBig);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const finish = (result: Checked<Buffer>): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (!result.ok) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      length += chunk.length;
      if (length > limit) finish(tooBig);
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ ok: true, value: Buffer.concat(chunks, length) });
    const onError = (): void => finish({ ok: false, status: 400, message: 'the beacon body was cut off' });
    const timer = setTimeout(() => finish({ ok: false, status: 408, message: 'the beacon body took too long' }), BODY_TIMEOUT_MS);
    timer.unref?.();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** Checks a beacon body (JSON, whatever the Content-Type: sendBeacon sends text/plain). Unknown fields are ignored. */
export function parseBeacon(body: Buffer): Checked<Beacon> {
  const bad = (message: string): Checked<Beacon> => ({ ok: false, status: 400, message: `bad beacon: ${message}` });
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    return bad('the body is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('the body is not a JSON object');
  const fields = doc as Record<string, unknown>;
  if (fields.v !== 1) return bad('"v" must be 1');
  if (typeof fields.session !== 'string' || !SESSION.test(fields.session)) {
    return bad('"session" must be 16 to 64 characters of A-Z, a-z, 0-9, "_" and "-"');
  }
  if (typeof fields.event !== 'string' || !EVENTS.has(fields.event)) return bad('"event" must be "start", "progress" or "end"');
  if (typeof fields.src !== 'string' || !isHttpUrl(fields.src)) return bad('"src" must be an absolute http(s) URL');
  if (fields.rendition !== undefined && (typeof fields.rendition !== 'string' || fields.rendition.length > MAX_RENDITION_LENGTH)) {
    return bad(`"rendition" must be a string of at most ${MAX_RENDITION_LENGTH} characters`);
  }
  for (const name of BYTE_FIELDS) {
    const value = fields[name];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) return bad(`"${name}" must be a whole number of bytes, 0 or more`);
  }
  const watch = fields.watchSeconds;
  if (typeof watch !== 'number' || !Number.isFinite(watch) || watch < 0 || watch > MAX_WATCH_SECONDS) {
    return bad(`"watchSeconds" must be a number from 0 to ${MAX_WATCH_SECONDS}`);
  }
  if (typeof fields.played !== 'boolean') return bad('"played" must be true or false');
  return {
    ok: true,
    value: {
      v: 1,
      session: fields.session,
      event: fields.event as Beacon['event'],
      src: fields.src,
      ...(typeof fields.rendition === 'string' ? { rendition: fields.rendition } : {}),
      httpBytes: fields.httpBytes as number,
      p2pBytes: fields.p2pBytes as number,
      uploadBytes: fields.uploadBytes as number,
      watchSeconds: watch,
      played: fields.played,
    },
  };
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
