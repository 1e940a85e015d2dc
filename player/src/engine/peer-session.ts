import {
  chunkSegment,
  decode,
  encode,
  MAX_CHUNK_BYTES,
  MAX_REQUESTS_IN_FLIGHT,
  ProtocolError,
  splitHave,
  type DataMessage,
  type Message,
} from '../protocol/index.ts';
import { Emitter } from './emitter.ts';
import { RateMeter } from './rate-meter.ts';
import { delayOf, type TokenBucket } from './rate-limit.ts';
import type { PeerChannel } from './transport.ts';

/** What a peer session reads from the swarm it belongs to. */
export interface PeerSessionHost {
  infoHash: Uint8Array;
  /** False in download-only mode: we never serve. */
  uploads: boolean;
  /** We are a server seeder (announced in hello so viewers ask us last). */
  seeder?: boolean;
  /** Sequence numbers we hold now, announced in full when the session opens. */
  held(): number[];
  /** A segment we may serve, or undefined; a promise where it is read from disk (the seeder). */
  segment(sn: number): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Upload limits this session's sends wait for (its own, and any shared with other sessions). */
  uploadLimits?: readonly TokenBucket[];
  now(): number;
}

export type PeerResult =
  | { status: 'ok'; bytes: Uint8Array }
  | { status: 'absent' }
  | { status: 'closed' }
  | { status: 'cancelled' };

export interface PeerRequest {
  readonly sn: number;
  readonly startedAt: number;
  /** Bytes received so far, in order from the segment's start. */
  readonly received: number;
  /** The segment's length once the first chunk told it. */
  readonly total: number | undefined;
  readonly result: Promise<PeerResult>;
  /** The contiguous bytes received so far (for finishing the segment over HTTP with a Range request). */
  partial(): Uint8Array;
  cancel(): void;
}

export interface PeerSessionEvents {
  /** The peer said hello: it is in our swarm and ready. */
  ready: () => void;
  have: (change: { added: number[]; removed: number[] }) => void;
  upload: (bytes: number) => void;
  close: (reason: string) => void;
}

/** Requests we accept in flight from one peer. */
const SERVE_MAX_REQUESTS = 8;
/** Segment reads one peer may have running, cancelled ones included (a cancel does not stop a read). */
const MAX_PENDING_READS = 2 * SERVE_MAX_REQUESTS;
/** Segments one peer may claim; beyond that it is lying or hostile. */
const MAX_ANNOUNCED = 100_000;
/** Chunks of a cancelled request that may still arrive (they were already in flight) without counting as garbage. */
const CANCELLED_MEMORY = 32;
const HELLO_TIMEOUT_MS = 10_000;
const SEND_HIGH_WATER = 1 << 20;

interface Incoming {
  request: MutablePeerRequest;
  chunks: Uint8Array[];
}

interface MutablePeerRequest extends PeerRequest {
  received: number;
  total: number | undefined;
  settle(result: PeerResult): void;
}

/**
 * One connected peer of one swarm: speaks the wire protocol, validates everything the peer sends, serves our
 * segments with backpressure and fetches theirs. Misbehaviour closes the session with a reason.
 */
export class PeerSession extends Emitter<PeerSessionEvents> {
  readonly id: string;
  private readonly channel: PeerChannel;
  private readonly host: PeerSessionHost;
  private readonly announced = new Set<number>();
  private readonly incoming = new Map<number, Incoming>();
  private readonly cancelled: number[] = [];
  private readonly serving = new Map<number, Generator<DataMessage, void, undefined>>();
  private readonly servingOrder: number[] = [];
  /** Requests whose segment is still being read, each with a token for its read (an id may be reused after a cancel). */
  private readonly loading = new Map<number, object>();
  private pendingReads = 0;
  private nextRequestId = 1;
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private waitingForDrain = false;
  private limitTimer: ReturnType<typeof setTimeout> | undefined;
  ready = false;
  remoteUploads = true;
  remoteSeeder = false;
  remoteMaxRequests = 1;
  /** Download rate from this peer, bytes per second (moving average over finished transfers). */
  throughput: number | undefined;
  failures = 0;
  bytesDown = 0;
  bytesUp = 0;
  /** Recent rates, bytes per second (for people to read; the scheduler uses `throughput`). */
  readonly downRate: RateMeter;
  readonly upRate: RateMeter;
  lastActivity: number;

  constructor(id: string, channel: PeerChannel, host: PeerSessionHost) {
    super();
    this.id = id;
    this.channel = channel;
    this.host = host;
    this.lastActivity = host.now();
    this.downRate = new RateMeter(() => host.now());
    this.upRate = new RateMeter(() => host.now());
    channel.on('data', this.onData);
    channel.on('close', this.onChannelClose);
    channel.on('error', this.onChannelError);
    channel.on('drain', this.onDrain);
    // Armed before the first send: a failed send closes the session, and close() must find the timer to clear.
    this.helloTimer = setTimeout(() => this.close('no hello'), HELLO_TIMEOUT_MS);
    this.send({ type: 'hello', swarm: host.infoHash, uploads: host.uploads, seeder: host.seeder ?? false, maxRequests: SERVE_MAX_REQUESTS });
    if (host.uploads) for (const have of splitHave(host.held(), [])) this.send(have);
  }

  get inflight(): number {
    return this.incoming.size;
  }

  has(sn: number): boolean {
    return this.announced.has(sn);
  }

  /** Tells the peer what we gained and lost (nothing in download-only mode: we serve nothing). */
  announce(added: number[], removed: number[]): void {
    if (this.closed || !this.host.uploads) return;
    for (const have of splitHave(added, removed)) this.send(have);
  }

  request(sn: number): PeerRequest {
    if (this.closed) throw Object.assign(new Error('peer session closed'), { code: 'ERR_DESTROYED' });
    const requestId = this.nextRequestId++;
    let settle!: (result: PeerResult) => void;
    const result = new Promise<PeerResult>((resolve) => (settle = resolve));
    const entry: Incoming = { request: undefined as unknown as MutablePeerRequest, chunks: [] };
    const request: MutablePeerRequest = {
      sn,
      startedAt: this.host.now(),
      received: 0,
      total: undefined,
      result,
      partial: () => concat(entry.chunks, request.received),
      cancel: () => {
        if (!this.incoming.has(requestId)) return;
        this.forget(requestId);
        this.send({ type: 'cancel', requestId });
        request.settle({ status: 'cancelled' });
      },
      settle: (r) => settle(r),
    };
    entry.request = request;
    this.incoming.set(requestId, entry);
    this.send({ type: 'request', requestId, sn });
    return request;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.helloTimer);
    clearTimeout(this.limitTimer);
    this.channel.off('data', this.onData);
    this.channel.off('close', this.onChannelClose);
    this.channel.off('error', this.onChannelError);
    this.channel.off('drain', this.onDrain);
    this.channel.destroy();
    for (const { request } of this.incoming.values()) request.settle({ status: 'closed' });
    this.incoming.clear();
    this.serving.clear();
    this.loading.clear();
    this.servingOrder.length = 0;
    this.emit('close', reason);
    this.removeAllListeners();
  }

  private send(message: Message): void {
    if (this.closed) return;
    try {
      this.channel.send(encode(message));
    } catch (error) {
      this.close(`send failed: ${(error as Error).message}`);
    }
  }

  private readonly onChannelClose = (): void => this.close('connection closed');
  private readonly onChannelError = (error: Error): void => this.close(`connection error: ${error.message}`);

  private readonly onData = (bytes: Uint8Array): void => {
    if (this.closed) return;
    let message: Message;
    try {
      message = decode(bytes);
    } catch (error) {
      this.close(error instanceof ProtocolError ? `malformed message (${error.code})` : 'malformed message');
      return;
    }
    this.lastActivity = this.host.now();
    if (!this.ready && message.type !== 'hello') return this.close('message before hello');
    switch (message.type) {
      case 'hello':
        return this.onHello(message.swarm, message.uploads, message.maxRequests, message.seeder ?? false);
      case 'have':
        return this.onHave(message.added, message.removed);
      case 'request':
        return this.onRequest(message.requestId, message.sn);
      case 'cancel':
        return this.onCancel(message.requestId);
      case 'data':
        return this.onChunk(message);
      case 'absent':
        return this.onAbsent(message.requestId, message.sn);
    }
  };

  private onHello(swarm: Uint8Array, uploads: boolean, maxRequests: number, seeder: boolean): void {
    if (this.ready) return this.close('second hello');
    if (!equalBytes(swarm, this.host.infoHash)) return this.close('peer is in another swarm');
    clearTimeout(this.helloTimer);
    this.ready = true;
    this.remoteUploads = uploads;
    this.remoteSeeder = seeder;
    this.remoteMaxRequests = Math.min(maxRequests, MAX_REQUESTS_IN_FLIGHT);
    this.emit('ready', undefined);
  }

  private onHave(added: number[], removed: number[]): void {
    if (!this.remoteUploads && added.length > 0) return this.close('download-only peer announced segments');
    for (const sn of added) this.announced.add(sn);
    for (const sn of removed) this.announced.delete(sn);
    if (this.announced.size > MAX_ANNOUNCED) return this.close('announced too many segments');
    this.emit('have', { added, removed });
  }

  private onRequest(requestId: number, sn: number): void {
    if (this.serving.has(requestId) || this.loading.has(requestId)) return this.close('duplicate request id');
    if (this.serving.size + this.loading.size >= SERVE_MAX_REQUESTS) return this.close('too many requests in flight');
    // Request-and-cancel would otherwise start reads without bound; past the limit the peer is told to look elsewhere.
    if (this.pendingReads >= MAX_PENDING_READS) return this.serve(requestId, sn, undefined);
    const found = this.host.uploads ? this.host.segment(sn) : undefined;
    if (!(found instanceof Promise)) return this.serve(requestId, sn, found);
    const token = {};
    this.loading.set(requestId, token);
    this.pendingReads += 1;
    const done = (segment: Uint8Array | undefined): void => {
      this.pendingReads -= 1;
      if (this.closed || this.loading.get(requestId) !== token) return;
      this.loading.delete(requestId);
      this.serve(requestId, sn, segment);
    };
    found.then(done, () => done(undefined));
  }

  private serve(requestId: number, sn: number, segment: Uint8Array | undefined): void {
    if (!segment || segment.byteLength === 0) {
      this.send({ type: 'absent', requestId, sn });
      return;
    }
    this.serving.set(requestId, chunkSegment(requestId, sn, segment));
    this.servingOrder.push(requestId);
    this.pump();
  }

  private onCancel(requestId: number): void {
    if (this.loading.delete(requestId)) return;
    if (!this.serving.delete(requestId)) return;
    const i = this.servingOrder.indexOf(requestId);
    if (i >= 0) this.servingOrder.splice(i, 1);
  }

  // Serves queued requests one chunk at a time, in request order, pausing while the channel's buffer is full
  // and while an upload limit says wait.
  private pump(): void {
    if (this.waitingForDrain || this.limitTimer !== undefined) return;
    const limits = this.host.uploadLimits ?? [];
    while (!this.closed && this.servingOrder.length > 0) {
      if (this.channel.bufferedAmount > SEND_HIGH_WATER) {
        this.waitingForDrain = true;
        return;
      }
      const wait = delayOf(limits, MAX_CHUNK_BYTES);
      if (wait > 0) {
        this.limitTimer = setTimeout(() => {
          this.limitTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
      const requestId = this.servingOrder[0];
      const chunks = this.serving.get(requestId);
      const next = chunks?.next();
      if (!chunks || !next || next.done) {
        this.serving.delete(requestId);
        this.servingOrder.shift();
        continue;
      }
      this.send(next.value);
      // Done at its last chunk, not at the next pass: the pump may pause first, and the peer may reuse the id.
      if (next.value.offset + next.value.bytes.byteLength === next.value.total) {
        this.serving.delete(requestId);
        this.servingOrder.shift();
      }
      for (const limit of limits) limit.take(next.value.bytes.byteLength);
      this.bytesUp += next.value.bytes.byteLength;
      this.upRate.add(next.value.bytes.byteLength);
      this.emit('upload', next.value.bytes.byteLength);
    }
  }

  private readonly onDrain = (): void => {
    this.waitingForDrain = false;
    this.pump();
  };

  private onChunk(message: DataMessage): void {
    const entry = this.incoming.get(message.requestId);
    if (!entry) {
      if (this.cancelled.includes(message.requestId)) return;
      return this.close('data that was not asked for');
    }
    const request = entry.request;
    if (message.sn !== request.sn) return this.close('data for another segment');
    if (request.total === undefined) request.total = message.total;
    if (message.total !== request.total || message.offset !== request.received) return this.close('data out of order');
    entry.chunks.push(message.bytes.slice());
    request.received += message.bytes.byteLength;
    this.bytesDown += message.bytes.byteLength;
    this.downRate.add(message.bytes.byteLength);
    if (request.received < request.total) return;
    this.incoming.delete(message.requestId);
    const elapsed = Math.max(1, this.host.now() - request.startedAt);
    const rate = (request.total * 1000) / elapsed;
    this.throughput = this.throughput === undefined ? rate : 0.7 * this.throughput + 0.3 * rate;
    this.failures = 0;
    request.settle({ status: 'ok', bytes: concat(entry.chunks, request.total) });
  }

  private onAbsent(requestId: number, sn: number): void {
    const entry = this.incoming.get(requestId);
    if (!entry) {
      if (this.cancelled.includes(requestId)) return;
      return this.close('absent for a request that was not made');
    }
    if (entry.request.sn !== sn) return this.close('absent for another segment');
    this.announced.delete(sn);
    this.failures += 1;
    this.incoming.delete(requestId);
    entry.request.settle({ status: 'absent' });
  }

  private forget(requestId: number): void {
    this.incoming.delete(requestId);
    this.cancelled.push(requestId);
    if (this.cancelled.length > CANCELLED_MEMORY) this.cancelled.shift();
  }
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteLength === length) return chunks[0];
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    if (offset >= length) break;
    const part = chunk.subarray(0, length - offset);
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i += 1) if (a[i] !== b[i]) return false;
  return true;
}
