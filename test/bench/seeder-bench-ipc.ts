/**
 * The seeder benchmark's child processes and what they say to each other: the parent forks a server child and
 * client workers (each runs TypeScript through tsx), sends requests that are answered once, and hears events.
 * Every request has a deadline, and every child is killed when the parent exits.
 */
import { fork, type ChildProcess } from 'node:child_process';

/** One media segment of the benchmark's rendition, the same in every title. */
export interface SegmentSpec {
  sn: number;
  /** Relative to the title folder: "360p/seg-00000.m4s". */
  file: string;
  sha256: string;
}

/** One client peer: the title it watches and the swarm it joins. */
export interface ClientSpec {
  index: number;
  /** URL path of the title folder, with both slashes: "/t000/". */
  titlePath: string;
  /** The rendition's info hash, hex. */
  infoHash: string;
  /** The media playlist relative to the multivariant playlist ("360p/index.m3u8"), the swarm's key. */
  key: string;
}

export interface MemoryUsage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

export type ServerRequest = { type: 'memory'; gc: boolean } | { type: 'log' } | { type: 'close' };

export interface JoinRequest {
  type: 'join';
  trackerUrl: string;
  clients: ClientSpec[];
  /** Clients of one swarm: each offers to this many peers, so one offer reaches the seeder. */
  perSwarm: number;
  /** Time between two joins of this worker. */
  spacingMs: number;
}

export interface DownloadRequest {
  type: 'download';
  mode: 'webrtc' | 'http';
  /** http://127.0.0.1:PORT, no trailing slash. */
  origin: string;
  segments: SegmentSpec[];
  /** The clients that take part (those connected to the seeder, in both modes). */
  clients: number[];
  /** Requests each client keeps in flight. */
  inflight: number;
  timeoutMs: number;
}

export type ClientRequest = JoinRequest | DownloadRequest | { type: 'status' } | { type: 'leave' };

export interface ClientDownload {
  index: number;
  bytes: number;
  ok: number;
  failed: number;
  /** From the worker receiving the request to this client's last segment. */
  ms: number;
}

export interface DownloadReply {
  clients: ClientDownload[];
  /** The first few failures, for the report. */
  failures: string[];
}

export interface WorkerStatus {
  /** Clients with a ready session to the seeder now. */
  connected: number;
  /** Clients with a ready session to a peer that is not the seeder (they should have none). */
  otherPeers: number;
  warnings: number;
  firstWarnings: string[];
  signalling: SignallingCounts;
  /** Timelines of the channels of clients that took more than 10 s to connect (a few). */
  slow: string[];
}

/** Session descriptions the clients made (offers) and got (the seeder's answers), and those without candidates. */
export interface SignallingCounts {
  offers: number;
  offersWithoutCandidates: number;
  answers: number;
  answersWithoutCandidates: number;
}

export type ChildEvent =
  | { type: 'ready'; url: string; pid: number }
  /** A worker is listening for requests. */
  | { type: 'up' }
  /** A client's session with the seeder is ready (both said hello). */
  | { type: 'connected'; index: number; joinedAt: number; at: number }
  | { type: 'lost'; index: number; at: number; reason: string };

interface Envelope {
  id: number;
  body: unknown;
}

type Reply = { reply: number; ok: true; value: unknown } | { reply: number; ok: false; error: string };

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A forked child running a TypeScript module: requests with deadlines, events to listeners. */
export class Child {
  readonly name: string;
  private readonly process: ChildProcess;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners = new Set<(event: ChildEvent) => void>();
  private nextId = 1;
  private exited: string | undefined;
  private readonly stderr: string[] = [];

  constructor(name: string, module: string, args: string[], cwd: string) {
    this.name = name;
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      // Synchronous, so it also runs on process.exit(): no child outlives the benchmark.
      process.on('exit', () => {
        for (const child of live) child.kill('SIGKILL');
      });
    }
    this.process = fork(module, args, {
      cwd,
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    live.add(this.process);
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (text: string) => {
      this.stderr.push(text);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    this.process.on('message', (message: unknown) => this.onMessage(message));
    this.process.on('exit', (code, signal) => {
      live.delete(this.process);
      this.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
      const error = new Error(`${this.name} ${this.exited}${this.stderrTail()}`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    });
  }

  /** Throws once the child has exited: a phase that waits on others fails at once rather than at its deadline. */
  assertAlive(): void {
    if (this.exited) throw new Error(`${this.name} ${this.exited}${this.stderrTail()}`);
  }

  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error(`${this.name} has no pid (it did not start)`);
    return pid;
  }

  on(listener: (event: ChildEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first event of a type, within a deadline. */
  waitFor<T extends ChildEvent['type']>(type: T, ms: number): Promise<Extract<ChildEvent, { type: T }>> {
    let off = (): void => {};
    const event = new Promise<Extract<ChildEvent, { type: T }>>((resolve, reject) => {
      off = this.on((e) => {
        if (e.type === type) resolve(e as Extract<ChildEvent, { type: T }>);
      });
      this.process.once('exit', () => reject(new Error(`${this.name} ${this.exited ?? 'exited'} before '${type}'${this.stderrTail()}`)));
    });
    return withDeadline(event, ms, `${this.name} did not report '${type}'`).finally(off);
  }

  request<T>(body: ServerRequest | ClientRequest, ms: number): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} ${this.exited}${this.stderrTail()}`));
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, body } satisfies Envelope);
    });
    return withDeadline(reply, ms, `${this.name} did not answer '${body.type}'`).finally(() => this.pending.delete(id));
  }

  /** Asks the child to finish (it may be gone already), then kills it if it has not exited in time. */
  async stop(body: ServerRequest | ClientRequest, ms: number): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    await this.request(body, ms).catch(() => undefined);
    await withDeadline(exited, ms, `${this.name} did not exit`).catch(() => {
      this.process.kill('SIGKILL');
    });
  }

  kill(): void {
    if (!this.exited) this.process.kill('SIGKILL');
  }

  private onMessage(message: unknown): void {
    const m = message as Partial<Reply> & Partial<ChildEvent>;
    if (typeof m.reply === 'number') {
      const waiting = this.pending.get(m.reply);
      if (!waiting) return;
      if (m.ok) waiting.resolve((m as { value: unknown }).value);
      else waiting.reject(new Error(`${this.name}: ${(m as { error: string }).error}`));
      return;
    }
    for (const listener of [...this.listeners]) listener(message as ChildEvent);
  }

  private stderrTail(): string {
    const text = this.stderr.join('').trim();
    return text ? `\n${this.name} stderr:\n${text.slice(-2000)}` : '';
  }
}

/** In a child: answers the parent's requests with `handle`, and exits when the parent goes away. */
export function serveParent(handle: (body: unknown) => Promise<unknown>): void {
  process.on('disconnect', () => process.exit(0));
  process.on('message', (message: unknown) => {
    const { id, body } = message as Envelope;
    handle(body).then(
      (value) => process.send?.({ reply: id, ok: true, value } satisfies Reply),
      (error: unknown) => process.send?.({ reply: id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies Reply),
    );
  });
}

/** In a child: tells the parent something happened. */
export function tellParent(event: ChildEvent): void {
  process.send?.(event);
}

export function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
