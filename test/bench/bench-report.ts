import type { Mode, ViewerResult } from './bench-viewer.ts';

export interface RunResult {
  mode: Mode;
  /** 1-based repetition. */
  run: number;
  swarmId: string;
  originSegmentBytes: number;
  originSegmentRequests: number;
  /** What the server's seeder uploaded during the run. */
  seederUploadBytes: number;
  viewers: ViewerResult[];
}

export interface ModeFigures {
  originBytes: number;
  /** Mean over viewers of httpBytes + p2pBytes. */
  bytesPerViewer: number;
  /** p2pBytes / (httpBytes + p2pBytes) over all viewers. */
  p2pShare: number;
  medianStartupMs: number;
  stalls: number;
  seederUploadBytes: number;
  /**
   * Seeder upload over one copy of what the swarm watched (the most any one viewer fetched: they all watch the
   * same segments from the start).
   */
  seederCopies: number;
}

export interface Summary {
  viewers: number;
  runs: number;
  /** Medians over runs. */
  off: ModeFigures;
  on: ModeFigures;
  seeded: ModeFigures;
  unverified: ModeFigures;
  /** What checking peers' bytes costs: P2P on (checked) / unverified, medians over runs. */
  integrity: { medianStartup: number; stalls: number };
  /** P2P on (and on with the seeder) / P2P off, the median over runs of each run's pair. */
  ratios: { originBytes: number; bytesPerViewer: number; medianStartup: number };
  seededRatios: { originBytes: number; bytesPerViewer: number; medianStartup: number };
  /** What the origin would serve if every byte left it once: 1/N of the P2P-off bytes. */
  idealOriginRatio: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function figuresOf(run: RunResult): ModeFigures {
  const http = sum(run.viewers.map((v) => v.httpBytes));
  const p2p = sum(run.viewers.map((v) => v.p2pBytes));
  return {
    originBytes: run.originSegmentBytes,
    bytesPerViewer: (http + p2p) / run.viewers.length,
    p2pShare: http + p2p > 0 ? p2p / (http + p2p) : 0,
    medianStartupMs: median(run.viewers.map((v) => v.startupMs)),
    stalls: sum(run.viewers.map((v) => v.stalls)),
    seederUploadBytes: run.seederUploadBytes,
    seederCopies: run.seederUploadBytes / Math.max(1, ...run.viewers.map((v) => v.httpBytes + v.p2pBytes)),
  };
}

/** Pairs each P2P-on run with the P2P-off run of the same repetition. */
export function summarize(runs: readonly RunResult[], viewers: number): Summary {
  const pairs = [...new Set(runs.map((r) => r.run))].map((n) => {
    const off = runs.find((r) => r.run === n && r.mode === 'off')!;
    const on = runs.find((r) => r.run === n && r.mode === 'on')!;
    const seeded = runs.find((r) => r.run === n && r.mode === 'seeded')!;
    const unverified = runs.find((r) => r.run === n && r.mode === 'unverified')!;
    return { off: figuresOf(off), on: figuresOf(on), seeded: figuresOf(seeded), unverified: figuresOf(unverified) };
  });
  const medianOf = (mode: Mode): ModeFigures => {
    const list = pairs.map((p) => p[mode]);
    return {
      originBytes: median(list.map((f) => f.originBytes)),
      bytesPerViewer: median(list.map((f) => f.bytesPerViewer)),
      p2pShare: median(list.map((f) => f.p2pShare)),
      medianStartupMs: median(list.map((f) => f.medianStartupMs)),
      stalls: median(list.map((f) => f.stalls)),
      seederUploadBytes: median(list.map((f) => f.seederUploadBytes)),
      seederCopies: median(list.map((f) => f.seederCopies)),
    };
  };
  const ratios = (mode: 'on' | 'seeded') => {
    const ratio = (pick: (f: ModeFigures) => number) => median(pairs.map((p) => pick(p[mode]) / pick(p.off)));
    return {
      originBytes: ratio((f) => f.originBytes),
      bytesPerViewer: ratio((f) => f.bytesPerViewer),
      medianStartup: ratio((f) => f.medianStartupMs),
    };
  };
  return {
    viewers,
    runs: pairs.length,
    off: medianOf('off'),
    on: medianOf('on'),
    seeded: medianOf('seeded'),
    unverified: medianOf('unverified'),
    integrity: {
      medianStartup: median(pairs.map((p) => p.on.medianStartupMs / p.unverified.medianStartupMs)),
      stalls: median(pairs.map((p) => p.on.stalls - p.unverified.stalls)),
    },
    ratios: ratios('on'),
    seededRatios: ratios('seeded'),
    idealOriginRatio: 1 / viewers,
  };
}

/** The summary as a table a person reads in a terminal. */
export function formatSummary(s: Summary): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
  const pct = (n: number) => `${(n * 100).toFixed(1)} %`;
  const ms = (n: number) => `${Math.round(n)} ms`;
  const x = (n: number) => (Number.isFinite(n) ? `×${n.toFixed(2)}` : 'n/a');
  const { off, on, seeded, ratios: r, seededRatios: q } = s;
  const rows: string[][] = [
    ['', 'P2P off', 'P2P on', 'on / off', 'on + seeder', 'seeder / off'],
    ['origin segment bytes', mb(off.originBytes), mb(on.originBytes), `${x(r.originBytes)} (ideal ${x(s.idealOriginRatio)})`, mb(seeded.originBytes), x(q.originBytes)],
    ['bytes per viewer', mb(off.bytesPerViewer), mb(on.bytesPerViewer), x(r.bytesPerViewer), mb(seeded.bytesPerViewer), x(q.bytesPerViewer)],
    ['P2P share', pct(off.p2pShare), pct(on.p2pShare), '', pct(seeded.p2pShare), ''],
    ['median startup', ms(off.medianStartupMs), ms(on.medianStartupMs), x(r.medianStartup), ms(seeded.medianStartupMs), x(q.medianStartup)],
    ['stalls (all viewers)', String(off.stalls), String(on.stalls), '', String(seeded.stalls), ''],
    ['seeder upload', '', '', '', mb(seeded.seederUploadBytes), `${x(seeded.seederCopies)} of one copy (target ≤ ×1.20)`],
  ];
  const widths = [0, 1, 2, 3, 4, 5].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ');
  const title = `${s.viewers} viewers, ${s.runs === 1 ? '1 run' : `medians of ${s.runs} runs`}`;
  const integrity =
    `hash checks: median startup ${ms(s.on.medianStartupMs)} checked vs ${ms(s.unverified.medianStartupMs)} unchecked ` +
    `(${x(s.integrity.medianStartup)}, target ≤ ×1.05), stalls ${s.on.stalls} vs ${s.unverified.stalls}`;
  return [title, line(rows[0]!), ...rows.slice(1).map(line), integrity].join('\n');
}

/** One line per viewer of one run, for the log while the benchmark goes. */
export function formatRun(run: RunResult): string {
  const kb = (n: number) => `${Math.round(n / 1000)} kB`;
  const seeder = run.mode === 'seeded' ? `, seeder upload ${kb(run.seederUploadBytes)}` : '';
  const head = `run ${run.run}, P2P ${run.mode}: origin ${kb(run.originSegmentBytes)} in ${run.originSegmentRequests} requests${seeder}`;
  const lines = run.viewers.map(
    (v) =>
      `  viewer ${v.index + 1}: startup ${v.startupMs} ms, stalls ${v.stalls}, http ${kb(v.httpBytes)} (${v.segmentsFromHttp} seg), ` +
      `p2p ${kb(v.p2pBytes)} (${v.segmentsFromPeers} seg), up ${kb(v.uploadBytes)}, peers ≤${v.maxPeers}` +
      (v.firstPeerMs !== null ? `, first peer ${v.firstPeerMs} ms` : '') +
      (v.firstPeerBytesMs !== null ? `, first peer bytes ${v.firstPeerBytesMs} ms after ${v.httpSegmentsBeforePeerBytes} HTTP seg` : '') +
      `, ${v.height}p played to ${v.playedTo} s`,
  );
  return [head, ...lines].join('\n');
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
