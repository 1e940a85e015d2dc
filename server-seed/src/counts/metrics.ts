import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { CountsReport, CountTotals } from './site-counts.ts';

/** A swarm the tracker holds now, named as /stats names it. */
export interface LiveSwarm {
  infoHash: string;
  /** The title id, or null for a swarm of no known title (an open tracker's). */
  title: string | null;
  /** The rendition's media playlist, relative to the title's multivariant playlist. */
  rendition: string | null;
  peers: number;
}

export interface MetricsSources {
  /** The counts, as /stats reports them; absent when counting is off. */
  counts?: () => Promise<CountsReport>;
  /** The tracker's swarms now. */
  live: () => Promise<LiveSwarm[]>;
}

export interface Metrics {
  readonly contentType: string;
  /** The Prometheus text exposition of everything, read now. */
  render(): Promise<string>;
}

/** Per-title counters: metric name, help, and the figure of the counts it reports. */
const TITLE_COUNTERS: [name: string, help: string, figure: keyof CountTotals][] = [
  ['p2p_seed_views_total', 'Viewing sessions that played, counted once per session', 'views'],
  ['p2p_seed_watch_seconds_total', 'Seconds of media viewers watched', 'watchSeconds'],
  ['p2p_seed_origin_bytes_total', 'Media bytes the origin sent over HTTP', 'originBytes'],
  ['p2p_seed_seeder_upload_bytes_total', "Bytes the site's WebRTC seeder uploaded to viewers", 'seederUploadBytes'],
  ['p2p_seed_bytes_saved_by_peers_total', 'Bytes viewers got from other viewers rather than from the site', 'bytesSavedByPeers'],
];
const VIEWER_BYTES: [source: string, figure: keyof CountTotals][] = [
  ['http', 'httpBytes'],
  ['p2p', 'p2pBytes'],
  ['upload', 'uploadBytes'],
];

let processRegistry: Registry | undefined;

/** Node's process metrics, collected once per process however many servers it runs (tests run several). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * GET /metrics: the numbers /stats reports, as Prometheus counters per title, the peers of each swarm, and Node's
 * process metrics. A registry of its own, not prom-client's global one, so an embedding application keeps its own.
 */
export function createMetrics(sources: MetricsSources): Metrics {
  const own = new Registry();
  // Read once per scrape, before the collect callbacks run, so every metric of one scrape shows the same moment.
  let report: CountsReport | undefined;
  let live: LiveSwarm[] = [];

  if (sources.counts) {
    for (const [name, help, figure] of TITLE_COUNTERS) {
      new Counter({
        name,
        help,
        labelNames: ['title'],
        registers: [own],
        collect() {
          this.reset();
          for (const row of report?.titles ?? []) this.inc({ title: row.title }, row[figure]);
        },
      });
    }
    new Counter({
      name: 'p2p_seed_viewer_bytes_total',
      help: 'Media bytes viewers reported: fetched over HTTP, received from peers, uploaded to peers',
      labelNames: ['title', 'source'],
      registers: [own],
      collect() {
        this.reset();
        for (const row of report?.titles ?? []) {
          for (const [source, figure] of VIEWER_BYTES) this.inc({ title: row.title, source }, row[figure]);
        }
      },
    });
  }
  new Gauge({
    name: 'p2p_seed_swarm_peers',
    help: 'Peers in each swarm the tracker holds now (one swarm per rendition)',
    labelNames: ['swarm', 'title'],
    registers: [own],
    collect() {
      this.reset();
      for (const swarm of live) this.set({ swarm: swarm.infoHash, title: swarm.title ?? '' }, swarm.peers);
    },
  });

  const registry = Registry.merge([processMetrics(), own]);
  return {
    contentType: registry.contentType,
    async render() {
      [report, live] = await Promise.all([sources.counts?.(), sources.live()]);
      return registry.metrics();
    },
  };
}
