/** The seeder benchmark's figures: what each phase cost the server process, ratios, targets, and a table. */
import type { ClientDownload, MemoryUsage, SignallingCounts } from './seeder-bench-ipc.ts';
import type { PhaseCost } from './seeder-bench-proc.ts';

/** The targets: this many peers on one seeder process, at no more than this much memory each. */
export const TARGET_PEERS = 200;
export const TARGET_BYTES_PER_PEER = 2_000_000;

const MB = 1_000_000;

export interface DownloadFigures {
  /** Verified segment bytes the clients received. */
  bytes: number;
  /** What the server counted: the seeder's upload counter, or the origin's segment bytes. */
  serverBytes: number;
  segmentsOk: number;
  segmentsFailed: number;
  seconds: number;
  mbPerSecond: number;
  cpuSeconds: number;
  /** Server CPU seconds per MB (10^6 bytes) delivered. */
  cpuSecondsPerMb: number;
  /** Server CPU seconds per wall second (1 = one core). */
  cpuShare: number;
  /** CPU seconds per wall second of the client workers together: with the server's, how busy the machine was. */
  clientCpuShare: number;
  /** The server's busiest threads in the phase, CPU seconds per wall second. */
  busiestThreads: { name: string; cpuShare: number }[];
  rssStart: number;
  rssPeak: number;
  /** (rssPeak − rssStart) / peers: what a downloading peer adds to an idle one. */
  rssGrowth: number;
  /** The server's own memory figures at the highest RSS it reported in the phase (sampled each second, no GC). */
  atPeak: MemoryUsage | null;
  medianClientSeconds: number;
  slowestClientSeconds: number;
}

export interface MemoryFigures {
  /** RSS of the server with no swarm joined and no client (what a bare p2p-seed costs). */
  rssBare: number;
  /** RSS once the seeder holds every swarm the clients will join, before any client: the baseline. */
  rssBaseline: number;
  /** RSS with every client connected and idle. */
  rssConnected: number;
  /** (rssConnected − rssBaseline) / connected peers. */
  perPeer: number;
  /** The same for the JS heap and for memory outside it (node-datachannel, buffers), after a full GC. */
  heapPerPeer: number;
  externalPerPeer: number;
  /** (rssBaseline − rssBare) / swarms joined between the two (NaN when all were joined at start). */
  perSwarm: number;
  heapPerSwarm: number;
  /** (peak RSS while the peers download from the seeder − rssBaseline) / connected peers. */
  peakPerPeer: number;
  threadsConnected: number;
}

export interface Summary {
  peers: {
    requested: number;
    swarms: number;
    perSwarm: number;
    /** Clients with a ready session to the seeder at the end of the connect phase. */
    connected: number;
    /** The most the seeder itself counted at once (GET /stats). */
    seederPeak: number;
    /** From the first join to the last client connected; null when not all connected. */
    allConnectedSeconds: number | null;
    medianConnectSeconds: number;
    p95ConnectSeconds: number;
    /** Sessions to the seeder that closed after connecting. */
    lost: number;
    /** Sessions clients had with peers other than the seeder (should be 0). */
    otherPeers: number;
    /** Offers the clients made and answers they got, all of the connect phase. */
    signalling: SignallingCounts;
  };
  connectCost: PhaseCost;
  memory: MemoryFigures;
  idle: { seconds: number; cpuShare: number };
  webrtc: DownloadFigures;
  http: DownloadFigures;
  /** WebRTC / HTTP. */
  ratios: { mbPerSecond: number; cpuSecondsPerMb: number; rssGrowthPerPeer: number; medianClientSeconds: number };
  targets: { peers: { target: number; value: number; pass: boolean }; memoryPerPeer: { target: number; value: number; pass: boolean } };
}

export function downloadFigures(
  clients: readonly ClientDownload[],
  cost: PhaseCost,
  serverBytes: number,
  clientCpuSeconds: number,
  peers: number,
  atPeak: MemoryUsage | undefined,
): DownloadFigures {
  const bytes = sum(clients.map((c) => c.bytes));
  const seconds = cost.seconds;
  const times = clients.map((c) => c.ms / 1000);
  return {
    bytes,
    serverBytes,
    segmentsOk: sum(clients.map((c) => c.ok)),
    segmentsFailed: sum(clients.map((c) => c.failed)),
    seconds,
    mbPerSecond: seconds > 0 ? bytes / MB / seconds : 0,
    cpuSeconds: cost.cpuSeconds,
    cpuSecondsPerMb: bytes > 0 ? cost.cpuSeconds / (bytes / MB) : Number.NaN,
    cpuShare: cost.cpuShare,
    clientCpuShare: seconds > 0 ? clientCpuSeconds / seconds : 0,
    busiestThreads: cost.busiestThreads.map((t) => ({ name: t.name, cpuShare: seconds > 0 ? t.cpuSeconds / seconds : 0 })),
    rssStart: cost.rssStart,
    rssPeak: cost.rssPeak,
    rssGrowth: (cost.rssPeak - cost.rssStart) / Math.max(1, peers),
    atPeak: atPeak ?? null,
    medianClientSeconds: median(times),
    slowestClientSeconds: times.length ? Math.max(...times) : Number.NaN,
  };
}

export function targetsOf(connected: number, perPeer: number): Summary['targets'] {
  return {
    peers: { target: TARGET_PEERS, value: connected, pass: connected >= TARGET_PEERS },
    memoryPerPeer: { target: TARGET_BYTES_PER_PEER, value: perPeer, pass: connected > 0 && perPeer <= TARGET_BYTES_PER_PEER },
  };
}

/** The summary as a person reads it in a terminal. */
export function formatSummary(s: Summary): string {
  const mb = (n: number) => `${(n / MB).toFixed(1)} MB`;
  const kb = (n: number) => (Number.isFinite(n) ? `${Math.round(n / 1000)} kB` : 'n/a');
  const sec = (n: number) => (Number.isFinite(n) ? `${n.toFixed(1)} s` : 'n/a');
  const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
  const threads = (f: DownloadFigures) =>
    f.busiestThreads.slice(0, 2).map((t) => `${t.name} ${pct(t.cpuShare)}`).join(', ');
  // What V8 does not know of (node-datachannel's own buffers among it) is the rest of the RSS.
  const split = (f: DownloadFigures) =>
    f.atPeak
      ? [f.atPeak.heapTotal, f.atPeak.external, f.atPeak.rss - f.atPeak.heapTotal - f.atPeak.external].map((n) => mb(n).replace(' MB', '')).join(' / ') + ' MB'
      : 'n/a';
  const x = (n: number) => (Number.isFinite(n) ? `×${n.toFixed(2)}` : 'n/a');
  const p = s.peers;
  const m = s.memory;
  const connect =
    p.allConnectedSeconds !== null
      ? `all ${p.connected} connected ${sec(p.allConnectedSeconds)} after the first join`
      : `only ${p.connected} of ${p.requested} connected`;
  const rows: [string, string, string, string][] = [
    ['download (same peers, same segments; HTTP ran first)', 'WebRTC', 'HTTP', 'WebRTC / HTTP'],
    ['verified bytes', mb(s.webrtc.bytes), mb(s.http.bytes), ''],
    ['server counted', mb(s.webrtc.serverBytes), mb(s.http.serverBytes), ''],
    ['segments ok / failed', `${s.webrtc.segmentsOk} / ${s.webrtc.segmentsFailed}`, `${s.http.segmentsOk} / ${s.http.segmentsFailed}`, ''],
    ['wall time', sec(s.webrtc.seconds), sec(s.http.seconds), ''],
    ['throughput', `${s.webrtc.mbPerSecond.toFixed(1)} MB/s`, `${s.http.mbPerSecond.toFixed(1)} MB/s`, x(s.ratios.mbPerSecond)],
    ['server CPU', `${s.webrtc.cpuSeconds.toFixed(1)} s (${pct(s.webrtc.cpuShare)})`, `${s.http.cpuSeconds.toFixed(1)} s (${pct(s.http.cpuShare)})`, ''],
    ['server CPU per MB', `${(s.webrtc.cpuSecondsPerMb * 1000).toFixed(1)} ms`, `${(s.http.cpuSecondsPerMb * 1000).toFixed(1)} ms`, x(s.ratios.cpuSecondsPerMb)],
    ['busiest server threads', threads(s.webrtc), threads(s.http), ''],
    ['client workers CPU', pct(s.webrtc.clientCpuShare), pct(s.http.clientCpuShare), ''],
    ['server RSS start → peak', `${mb(s.webrtc.rssStart)} → ${mb(s.webrtc.rssPeak)}`, `${mb(s.http.rssStart)} → ${mb(s.http.rssPeak)}`, ''],
    ['at peak: JS heap / external / native rest', split(s.webrtc), split(s.http), ''],
    ['RSS growth per peer', kb(s.webrtc.rssGrowth), kb(s.http.rssGrowth), x(s.ratios.rssGrowthPerPeer)],
    ['median / slowest peer', `${sec(s.webrtc.medianClientSeconds)} / ${sec(s.webrtc.slowestClientSeconds)}`, `${sec(s.http.medianClientSeconds)} / ${sec(s.http.slowestClientSeconds)}`, x(s.ratios.medianClientSeconds)],
  ];
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ');
  const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');
  const t = s.targets;
  return [
    `${p.requested} peers in ${p.swarms} swarm${p.swarms === 1 ? '' : 's'} (${p.perSwarm} per swarm)`,
    `connect: ${connect}; per peer median ${sec(p.medianConnectSeconds)}, p95 ${sec(p.p95ConnectSeconds)}; ` +
      `seeder counted ≤${p.seederPeak}; lost ${p.lost}; client-to-client sessions ${p.otherPeers}; ` +
      `server CPU ${s.connectCost.cpuSeconds.toFixed(1)} s`,
    `signalling: ${p.signalling.offers} offers (${p.signalling.offersWithoutCandidates} without ICE candidates), ` +
      `${p.signalling.answers} answers from the seeder (${p.signalling.answersWithoutCandidates} without ICE candidates)`,
    `memory: bare ${mb(m.rssBare)}, baseline ${mb(m.rssBaseline)} (per swarm joined: ${kb(m.perSwarm)}, JS heap ${kb(m.heapPerSwarm)}), ` +
      `${p.connected} connected and idle ${mb(m.rssConnected)} → ${kb(m.perPeer)} per peer ` +
      `(JS heap ${kb(m.heapPerPeer)}, external ${kb(m.externalPerPeer)}; ${m.threadsConnected} threads)`,
    `idle: server CPU ${pct(s.idle.cpuShare)} of a core over ${sec(s.idle.seconds)} with ${p.connected} peers connected`,
    '',
    line(rows[0]!),
    ...rows.slice(1).map(line),
    '',
    'targets',
    `  ${verdict(t.peers.pass)}  at least ${t.peers.target} peers connected to one seeder process: ${t.peers.value}`,
    `  ${verdict(t.memoryPerPeer.pass)}  at most ${mb(t.memoryPerPeer.target)} of memory per connected peer: ${kb(t.memoryPerPeer.value)} ` +
      `(connected and idle; ${kb(m.peakPerPeer)} at the peak of the WebRTC download)`,
  ].join('\n');
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
