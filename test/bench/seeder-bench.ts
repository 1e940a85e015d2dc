/**
 * Seeder load benchmark: one p2p-seed process (HTTP origin, tracker, WebRTC seeder) serving K Node peers of our
 * engine at once, the peers in worker processes. Measures, from /proc of the server process alone: time until K
 * peers are connected to the seeder, memory per connected peer, and while every peer downloads every segment of
 * its title (checked against the SHA-256 manifest), upload throughput and CPU per MB; then the same peers fetch
 * the same segments over plain HTTP from the same process, the baseline the ratios are against. Prints the
 * figures and the issue's targets (200 peers, at most 2 MB each) as pass/fail lines, and writes them to
 * test-results/bench-seeder.json.
 *
 *   npx tsx test/bench/seeder-bench.ts [--peers 200 --per-swarm 1 --workers 4 --duration 30 --inflight 2]
 */
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Child } from './seeder-bench-ipc.ts';
import { makeSeederCollection, type SourceRecipe } from './seeder-bench-media.ts';
import { formatSummary } from './seeder-bench-report.ts';
import { measureSeeder, type SeederBenchOptions } from './seeder-bench-run.ts';

const REPO = join(import.meta.dirname, '../..');
const OUTPUT = join(REPO, 'test-results/bench-seeder.json');

export const USAGE = `usage: npx tsx test/bench/seeder-bench.ts [options]
  --peers K            client peers, all connected to one seeder at once (default 200)
  --per-swarm C        peers per swarm: K/C titles, each its own swarm (default 1)
  --workers W          worker processes the peers are spread over (default 4)
  --duration S         seconds of the title every peer downloads (default 30)
  --kbps R             video bitrate of the title, kb/s; audio adds 64 (default 1000)
  --inflight N         segment requests each peer keeps in flight, WebRTC and HTTP alike (default 2)
  --ramp S             seconds over which the peers join (default 0: all at once)
  --idle S             seconds the peers stay connected and idle before downloading (default 5)
  --connect-timeout S  stop waiting for peers to connect after this, and go on with those connected (default 75)
  --download-timeout S give up a download phase after this (default 120)
  --seed-max-peers N   the seeder's peer cap, passed as startServer({ seedLimits: { maxPeers } }) (default: the server's)`;

export class UsageError extends Error {}

function parseOptions(argv: string[]): SeederBenchOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        peers: { type: 'string', default: '200' },
        'per-swarm': { type: 'string', default: '1' },
        workers: { type: 'string', default: '4' },
        duration: { type: 'string', default: '30' },
        kbps: { type: 'string', default: '1000' },
        inflight: { type: 'string', default: '2' },
        ramp: { type: 'string', default: '0' },
        idle: { type: 'string', default: '5' },
        'connect-timeout': { type: 'string', default: '75' },
        'download-timeout': { type: 'string', default: '120' },
        'seed-max-peers': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return undefined;
  const number = (name: string, value: string, min: number, integer: boolean, max = Number.POSITIVE_INFINITY): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} from ${min}${max < Infinity ? ` to ${max}` : ''}, not "${value}"`);
    }
    return n;
  };
  const peers = number('peers', values.peers, 1, true);
  return {
    peers,
    perSwarm: number('per-swarm', values['per-swarm'], 1, true, peers),
    workers: Math.min(peers, number('workers', values.workers, 1, true, 64)),
    duration: number('duration', values.duration, 4, false, 3600),
    kbps: number('kbps', values.kbps, 50, true, 50_000),
    // The seeder serves at most 8 requests of one peer at once and closes a peer that sends more.
    inflight: number('inflight', values.inflight, 1, true, 8),
    ramp: number('ramp', values.ramp, 0, false),
    idle: number('idle', values.idle, 1, false),
    connectTimeout: number('connect-timeout', values['connect-timeout'], 1, false),
    downloadTimeout: number('download-timeout', values['download-timeout'], 1, false),
    seedMaxPeers: values['seed-max-peers'] === undefined ? undefined : number('seed-max-peers', values['seed-max-peers'], 1, true),
  };
}

/** Runs the benchmark with command-line arguments (without the node and script paths). */
export async function runSeederBench(argv: string[]): Promise<void> {
  const options = parseOptions(argv);
  if (!options) {
    console.log(USAGE);
    return;
  }
  const started = Date.now();
  const loadBefore = loadavg();
  // Other work on the machine skews every figure here; say so rather than let it pass for the seeder's cost.
  if (loadBefore[0]! > cpus().length) {
    console.log(`warning: load average ${loadBefore[0]!.toFixed(1)} on ${cpus().length} cores: other processes are busy, figures will be noisy`);
  }
  const swarms = Math.ceil(options.peers / options.perSwarm);
  const recipe: SourceRecipe = { durationSeconds: options.duration, videoKbps: options.kbps, width: 640, height: 360, fps: 24, keyframeSeconds: 2 };
  const made = Date.now();
  const collection = await makeSeederCollection(recipe, swarms);
  console.log(
    `collection: ${swarms} title${swarms === 1 ? '' : 's'} in ${collection.root} (${collection.cached ? 'template reused' : 'template made'}, ` +
      `${((Date.now() - made) / 1000).toFixed(1)} s); each peer downloads ${collection.segments.length} segments, ` +
      `${(collection.titleBytes / 1e6).toFixed(1)} MB`,
  );

  const children: Child[] = [];
  const onSignal = (): void => {
    for (const child of children) child.kill();
    rmSync(collection.root, { recursive: true, force: true });
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const summary = await measureSeeder(options, collection, swarms, children);
    console.log(`\n${formatSummary(summary)}\n`);
    await mkdir(join(REPO, 'test-results'), { recursive: true });
    const report = {
      date: new Date().toISOString(),
      command: ['npx tsx test/bench/seeder-bench.ts', ...argv].join(' '),
      options,
      title: { ...recipe, segments: collection.segments.length, bytes: collection.titleBytes, templateCached: collection.cached },
      environment: {
        node: process.version,
        cores: cpus().length,
        memoryBytes: totalmem(),
        platform: process.platform,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg(),
      },
      durationSeconds: Math.round((Date.now() - started) / 1000),
      summary,
    };
    await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote ${OUTPUT} (${report.durationSeconds} s)`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    // Bounded: a wedged child is killed rather than waited for.
    await Promise.all(children.map((child) => child.stop(child.name === 'server' ? { type: 'close' } : { type: 'leave' }, 10_000)));
    await collection.remove().catch(() => undefined);
  }
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  runSeederBench(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`seeder-bench: ${error.message}\n${USAGE}`);
        process.exit(2);
      }
      console.error(`seeder-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
