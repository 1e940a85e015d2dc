/**
 * The seeder benchmark's phases, in order: server and workers up, the seeder in every swarm (the baseline),
 * K peers connecting, idle, every peer downloading its title over HTTP (the baseline of the ratios) and then from
 * the seeder over WebRTC. What each phase cost the server process is read from /proc.
 */
import { join } from 'node:path';
import { Child, sleep, withDeadline, type ClientDownload, type ClientSpec, type DownloadReply, type MemoryUsage, type SignallingCounts, type WorkerStatus } from './seeder-bench-ipc.ts';
import type { BenchCollection } from './seeder-bench-media.ts';
import { primeSwarms } from './seeder-bench-prime.ts';
import { ProcSampler, sampleProc, type PhaseCost } from './seeder-bench-proc.ts';
import { downloadFigures, median, quantile, targetsOf, type DownloadFigures, type Summary } from './seeder-bench-report.ts';

const REPO = join(import.meta.dirname, '../..');
const SERVER_MODULE = join(import.meta.dirname, 'seeder-bench-server.ts');
const CLIENT_MODULE = join(import.meta.dirname, 'seeder-bench-client.ts');
const START_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
// Memory settles for this long before it is read (sockets closing, allocator returning pages).
const SETTLE_MS = 2_000;
const PEAK_PROBE_MS = 1_000;

/** The benchmark's options, from the command line. */
export interface SeederBenchOptions {
  peers: number;
  perSwarm: number;
  workers: number;
  duration: number;
  kbps: number;
  inflight: number;
  ramp: number;
  idle: number;
  connectTimeout: number;
  downloadTimeout: number;
  seedMaxPeers: number | undefined;
}

interface ServerStats {
  origin: { segmentBytes: number; segmentRequests: number };
  tracker: { swarms: { infoHash: string; peers: number }[] };
  seeder: { swarms: number; peers: number; uploadBytes: number } | null;
}

/**
 * Runs every phase against a collection of `swarms` titles: starts the server and the workers (added to
 * `children`, which the caller stops), primes the swarms, connects the peers, then downloads over HTTP and WebRTC.
 */
export async function measureSeeder(options: SeederBenchOptions, collection: BenchCollection, swarms: number, children: Child[]): Promise<Summary> {
  const extra = options.seedMaxPeers === undefined ? {} : { seedLimits: { maxPeers: options.seedMaxPeers } };
  const server = new Child('server', SERVER_MODULE, [collection.root, JSON.stringify(extra)], REPO);
  children.push(server);
  const { url, pid } = await server.waitFor('ready', START_TIMEOUT_MS);
  const origin = url.replace(/\/$/, '');
  const trackerUrl = `${origin.replace(/^http/, 'ws')}/announce`;
  const stats = async (): Promise<ServerStats> => {
    const response = await fetch(`${origin}/stats`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`GET /stats: HTTP ${response.status}`);
    return (await response.json()) as ServerStats;
  };
  const memory = async (): Promise<{ rss: number; usage: MemoryUsage; threads: number }> => {
    // Collected twice with a pause: V8 and the allocator hand pages back some time after a collection.
    await server.request<MemoryUsage>({ type: 'memory', gc: true }, REQUEST_TIMEOUT_MS);
    await sleep(SETTLE_MS);
    const usage = await server.request<MemoryUsage>({ type: 'memory', gc: true }, REQUEST_TIMEOUT_MS);
    const sample = await sampleProc(pid);
    return { rss: sample.rssBytes, usage, threads: sample.threads };
  };
  if ((await stats()).seeder === null) throw new Error('the server runs no seeder (GET /stats says seeder: null)');
  console.log(`server: ${url} (pid ${pid})`);

  // Workers first: starting them costs the server nothing, and the baseline is read after.
  const workers = Array.from({ length: options.workers }, (_, i) => new Child(`worker ${i + 1}`, CLIENT_MODULE, [], REPO));
  children.push(...workers);
  await Promise.all(workers.map((worker) => worker.waitFor('up', START_TIMEOUT_MS)));

  const bare = await memory();
  // A collection of at most 64 renditions is seeded whole from the start: those swarms are in `bare` already.
  const swarmsAtStart = (await stats()).seeder?.swarms ?? 0;
  const hashes = collection.titles.map((t) => t.infoHash);
  const primer = await primeSwarms(trackerUrl, hashes, REQUEST_TIMEOUT_MS);
  const trackerPeers = async (): Promise<Map<string, number>> => new Map((await stats()).tracker.swarms.map((s) => [s.infoHash, s.peers]));
  // Joined: the tracker counts the seeder beside the stand-in in every swarm.
  await waitUntil(async () => {
    const peers = await trackerPeers();
    return hashes.every((h) => (peers.get(h) ?? 0) >= 2);
  }, START_TIMEOUT_MS, `the seeder did not join all ${swarms} swarms`, children);
  primer.close();
  await waitUntil(async () => {
    const peers = await trackerPeers();
    return hashes.every((h) => peers.get(h) === 1);
  }, REQUEST_TIMEOUT_MS, 'the stand-in peer did not leave the swarms', children);
  const seederSwarms = (await stats()).seeder?.swarms ?? 0;
  const baseline = await memory();
  console.log(
    `seeder joined ${seederSwarms} swarms (${swarmsAtStart} at start); RSS bare ${mb(bare.rss)}, baseline ${mb(baseline.rss)}; ` +
      `${options.peers} peers joining${options.ramp > 0 ? ` over ${options.ramp} s` : ''} from ${options.workers} workers`,
  );

  // ---- connect ----
  const specs: ClientSpec[] = Array.from({ length: options.peers }, (_, index) => {
    const title = collection.titles[Math.floor(index / options.perSwarm)]!;
    return { index, titlePath: title.path, infoHash: title.infoHash, key: collection.key };
  });
  const connected = new Map<number, { joinedAt: number; at: number }>();
  const current = new Set<number>();
  let lost = 0;
  const lostReasons = new Map<string, number>();
  for (const worker of workers) {
    worker.on((event) => {
      if (event.type === 'connected') {
        if (!connected.has(event.index)) connected.set(event.index, { joinedAt: event.joinedAt, at: event.at });
        current.add(event.index);
      } else if (event.type === 'lost') {
        lost += 1;
        current.delete(event.index);
        lostReasons.set(event.reason, (lostReasons.get(event.reason) ?? 0) + 1);
      }
    });
  }
  const connectSampler = new ProcSampler(pid);
  await connectSampler.start();
  const joinedFrom = Date.now();
  // Worker w takes peers w, w+W, w+2W…: swarms fill evenly whatever the number of workers.
  const spacingMs = options.peers > 1 ? (options.ramp * 1000 * options.workers) / options.peers : 0;
  const joins = workers.map((worker, w) =>
    worker.request<null>(
      { type: 'join', trackerUrl, clients: specs.filter((s) => s.index % options.workers === w), perSwarm: options.perSwarm, spacingMs },
      options.ramp * 1000 + START_TIMEOUT_MS,
    ),
  );
  let seederPeak = 0;
  let allConnectedAt: number | undefined;
  const connectDeadline = joinedFrom + options.ramp * 1000 + options.connectTimeout * 1000;
  let lastReport = Date.now();
  while (Date.now() < connectDeadline) {
    for (const child of children) child.assertAlive();
    const seeder = (await stats()).seeder;
    seederPeak = Math.max(seederPeak, seeder?.peers ?? 0);
    if (current.size >= options.peers && (seeder?.peers ?? 0) >= options.peers) {
      allConnectedAt = Math.max(...[...connected.values()].map((c) => c.at));
      break;
    }
    if (Date.now() - lastReport >= 5_000) {
      lastReport = Date.now();
      console.log(`  ${((Date.now() - joinedFrom) / 1000).toFixed(0)} s: ${current.size} connected (the seeder counts ${seeder?.peers ?? 0})`);
    }
    await sleep(250);
  }
  const connectCost = await connectSampler.stop();
  await withDeadline(Promise.all(joins), START_TIMEOUT_MS, 'the workers did not finish joining');
  const connectTimes = [...connected.values()].map((c) => (c.at - c.joinedAt) / 1000);
  console.log(
    allConnectedAt !== undefined
      ? `connect: all ${options.peers} connected in ${((allConnectedAt - joinedFrom) / 1000).toFixed(1)} s`
      : `connect: ${current.size} of ${options.peers} connected after ${options.connectTimeout} s (the seeder counted at most ${seederPeak}); going on with those`,
  );

  // ---- idle ----
  const idleSampler = new ProcSampler(pid);
  await idleSampler.start();
  await sleep(options.idle * 1000);
  const idleCost = await idleSampler.stop();
  const taking = [...current].sort((a, b) => a - b);
  const loaded = await memory();
  const status = await Promise.all(workers.map((w) => w.request<WorkerStatus>({ type: 'status' }, REQUEST_TIMEOUT_MS)));
  const otherPeers = status.reduce((n, s) => n + s.otherPeers, 0);
  const signalling: SignallingCounts = { offers: 0, offersWithoutCandidates: 0, answers: 0, answersWithoutCandidates: 0 };
  for (const s of status) for (const key of Object.keys(signalling) as (keyof SignallingCounts)[]) signalling[key] += s.signalling[key];
  const n = Math.max(1, taking.length);

  // ---- downloads: WebRTC from the seeder, then the HTTP baseline ----
  const phase = async (mode: 'webrtc' | 'http'): Promise<{ figures: DownloadFigures; failures: string[] }> => {
    const before = await stats();
    const sampler = new ProcSampler(pid);
    await sampler.start();
    const clientCpuBefore = await cpuOf(workers);
    // Where the memory is at the peak: the server's own breakdown (no GC), sampled while the phase runs.
    let atPeak: MemoryUsage | undefined;
    const probe = setInterval(() => {
      server.request<MemoryUsage>({ type: 'memory', gc: false }, REQUEST_TIMEOUT_MS).then(
        (usage) => {
          if (!atPeak || usage.rss > atPeak.rss) atPeak = usage;
        },
        () => {}, // a server that is gone fails the phase below
      );
    }, PEAK_PROBE_MS);
    const timeoutMs = options.downloadTimeout * 1000;
    const replies = await Promise.all(
      workers.map((worker) =>
        worker.request<DownloadReply>(
          { type: 'download', mode, origin, segments: collection.segments, clients: taking, inflight: options.inflight, timeoutMs },
          timeoutMs + REQUEST_TIMEOUT_MS,
        ),
      ),
    ).finally(() => clearInterval(probe));
    const cost: PhaseCost = await sampler.stop();
    const clientCpu = (await cpuOf(workers)) - clientCpuBefore;
    const after = await stats();
    const serverBytes =
      mode === 'webrtc'
        ? (after.seeder?.uploadBytes ?? 0) - (before.seeder?.uploadBytes ?? 0)
        : after.origin.segmentBytes - before.origin.segmentBytes;
    const clients: ClientDownload[] = replies.flatMap((r) => r.clients);
    const figures = downloadFigures(clients, cost, serverBytes, clientCpu, n, atPeak);
    const failures = replies.flatMap((r) => r.failures);
    console.log(
      `${mode === 'webrtc' ? 'WebRTC' : 'HTTP'}: ${(figures.bytes / 1e6).toFixed(0)} MB verified in ${figures.seconds.toFixed(1)} s, ` +
        `${figures.mbPerSecond.toFixed(1)} MB/s, server CPU ${figures.cpuSeconds.toFixed(1)} s` +
        (figures.segmentsFailed > 0 ? `; ${figures.segmentsFailed} segments failed, e.g. ${failures.slice(0, 3).join('; ')}` : ''),
    );
    return { figures, failures };
  };
  // HTTP first: its memory is then read from the idle state too, and what it leaves behind is small beside what
  // WebRTC's send buffers take.
  const http = await phase('http');
  await memory();
  const webrtc = await phase('webrtc');

  const log = await server.request<{ logged: number; lines: string[] }>({ type: 'log' }, REQUEST_TIMEOUT_MS);
  const seederWarnings = log.lines.filter((line) => /^p2p-seed: (seeder: |.*\b(error|warning)\b)/.test(line));
  if (seederWarnings.length > 0) console.log(`server log (${seederWarnings.length} warnings), last: ${seederWarnings.slice(-3).join(' | ')}`);
  // Asked again at the end: warnings of the download phases too.
  const last = await Promise.all(workers.map((w) => w.request<WorkerStatus>({ type: 'status' }, REQUEST_TIMEOUT_MS)));
  const slow = status.flatMap((s) => s.slow);
  if (slow.length > 0) console.log(`clients slow to connect, their channels:\n  ${slow.join('\n  ')}`);
  const clientWarnings = last.flatMap((s) => s.firstWarnings);
  if (clientWarnings.length > 0) console.log(`client warnings: ${last.reduce((k, s) => k + s.warnings, 0)}, e.g. ${clientWarnings.slice(0, 3).join(' | ')}`);
  if (lostReasons.size > 0) console.log(`sessions to the seeder lost: ${[...lostReasons].map(([r, k]) => `${k}× ${r}`).join(', ')}`);

  const perPeer = (loaded.rss - baseline.rss) / n;
  const joinedLater = seederSwarms - swarmsAtStart;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  return {
    peers: {
      requested: options.peers,
      swarms,
      perSwarm: options.perSwarm,
      connected: taking.length,
      seederPeak,
      allConnectedSeconds: allConnectedAt === undefined ? null : (allConnectedAt - joinedFrom) / 1000,
      medianConnectSeconds: median(connectTimes),
      p95ConnectSeconds: quantile(connectTimes, 0.95),
      lost,
      otherPeers,
      signalling,
    },
    connectCost,
    memory: {
      rssBare: bare.rss,
      rssBaseline: baseline.rss,
      rssConnected: loaded.rss,
      perPeer,
      heapPerPeer: (loaded.usage.heapUsed - baseline.usage.heapUsed) / n,
      externalPerPeer: (loaded.usage.external - baseline.usage.external) / n,
      perSwarm: joinedLater > 0 ? (baseline.rss - bare.rss) / joinedLater : Number.NaN,
      heapPerSwarm: joinedLater > 0 ? (baseline.usage.heapUsed - bare.usage.heapUsed) / joinedLater : Number.NaN,
      peakPerPeer: (webrtc.figures.rssPeak - baseline.rss) / n,
      threadsConnected: loaded.threads,
    },
    idle: { seconds: idleCost.seconds, cpuShare: idleCost.cpuShare },
    webrtc: webrtc.figures,
    http: http.figures,
    ratios: {
      mbPerSecond: ratio(webrtc.figures.mbPerSecond, http.figures.mbPerSecond),
      cpuSecondsPerMb: ratio(webrtc.figures.cpuSecondsPerMb, http.figures.cpuSecondsPerMb),
      rssGrowthPerPeer: ratio(webrtc.figures.rssGrowth, http.figures.rssGrowth),
      medianClientSeconds: ratio(webrtc.figures.medianClientSeconds, http.figures.medianClientSeconds),
    },
    targets: targetsOf(taking.length, perPeer),
  };
}

/** CPU seconds the workers have used so far, together. */
async function cpuOf(workers: readonly Child[]): Promise<number> {
  const samples = await Promise.all(workers.map((worker) => sampleProc(worker.pid)));
  return samples.reduce((sum, sample) => sum + sample.cpuSeconds, 0);
}

/** Polls `check` until it holds; rejects after `ms`. */
async function waitUntil(check: () => Promise<boolean>, ms: number, message: string, children: readonly Child[]): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    for (const child of children) child.assertAlive();
    if (Date.now() >= deadline) throw new Error(`${message} within ${Math.round(ms / 1000)} s`);
    await sleep(250);
  }
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
