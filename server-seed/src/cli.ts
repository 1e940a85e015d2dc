import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { packageCollection } from './packager/index.ts';
import { defaultCollectionDir, packageJsonPath } from './paths.ts';
import { DEFAULT_MIRROR_CACHE_BYTES, defaultMirrorCacheDir, startMirror, type RunningMirror } from './seeder/mirror-seeder.ts';
import { assertDirectory, startServer } from './server.ts';
import type { RunningServer } from './server.ts';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CliResult {
  /** The exit code to use once the server (if any) has stopped. */
  exitCode: number;
  /** Present when the server started; the caller owns its lifetime. */
  server?: RunningServer;
  /** Present when only mirrors are seeded (`--mirror` without DIR); the caller owns its lifetime. */
  mirror?: RunningMirror;
}

const processIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** Parses `p2p-seed` arguments and starts the server; never exits the process itself. */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<CliResult> {
  const program = new Command('p2p-seed')
    .description('Serve a video collection with the <p2p-video> player, its gallery and its example pages.')
    .version(readVersion(), '-V, --version')
    .argument('[dir]', 'collection directory (default: the bundled demo collection)')
    .addOption(new Option('-p, --port <number>', 'port to listen on (0 = any free port)').default(8080).argParser(parsePort))
    .option('-H, --host <host>', 'address to listen on', '127.0.0.1')
    .option('-q, --quiet', 'log nothing but errors')
    .option('--no-tracker', 'do not run the WebSocket tracker (viewers then need another tracker to share)')
    .option('--open-tracker', "let the tracker serve any swarm, not only the collection's (pages that set swarm-id)")
    .option('--no-swarm-metadata', "do not add swarm.json to the collection's multivariant playlists")
    .option('--no-seed', 'do not seed the collection over WebRTC (viewers then share only among themselves)')
    .addOption(new Option('--max-peers <number>', 'peers the seeder serves at once, over all streams').default(400).argParser(parsePeerCap))
    .addOption(new Option('--upload-limit <rate>', "the seeder's total upload, e.g. 100mbit, 20MB (bytes) per second; default no limit").argParser(parseRate))
    .addOption(new Option('--peer-upload-limit <rate>', "the seeder's upload to each peer, same units; default no limit").argParser(parseRate))
    .option('--mirror <url...>', "also seed these streams of other origins (their multivariant playlists; live ones are followed as they grow); without DIR, seed only them")
    .option('--mirror-cache <dir>', 'where mirrored segments are kept', defaultMirrorCacheDir())
    .addOption(new Option('--mirror-cache-size <size>', 'disk the mirror cache may use, e.g. 500MB, 2GB').default(DEFAULT_MIRROR_CACHE_BYTES, '2GB').argParser(parseSize))
    .option('--live [dir...]', 'also serve and seed live streams: folders an encoder (ffmpeg -f hls, …) writes HLS into, at /live/<folder name>/master.m3u8; with --mirror and no folder: mirror live streams only')
    .option('--no-package', 'serve MP4 files as they are (progressive, shared over WebTorrent) instead of packaging them into HLS')
    .option('--db <path>', 'where the download counts are kept (SQLite; default: DIR/.p2p-seed/counts.db)')
    .option('--no-counts', 'keep no download counts (POST /beacon answers 404)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.out(text.trimEnd()),
      writeErr: (text) => io.err(text.trimEnd()),
      outputError: (text, write) => write(`p2p-seed: ${text}`),
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    // --help and --version end here too, with exit code 0.
    if (error instanceof CommanderError) return { exitCode: error.exitCode };
    throw error;
  }

  const opts = program.opts<{
    port: number;
    host: string;
    quiet?: boolean;
    tracker: boolean;
    openTracker?: boolean;
    swarmMetadata: boolean;
    seed: boolean;
    maxPeers: number;
    uploadLimit?: number;
    peerUploadLimit?: number;
    mirror?: string[];
    mirrorCache: string;
    mirrorCacheSize: number;
    db?: string;
    counts: boolean;
    package: boolean;
    live?: string[] | true;
  }>();
  const { port, host, quiet, tracker, swarmMetadata, seed, maxPeers, uploadLimit, peerUploadLimit } = opts;
  const log = quiet ? undefined : io.out;
  const seedLimits = { maxPeers, uploadLimit, peerUploadLimit };
  // `--live` without a folder only says what the mirrors are.
  const liveDirs = Array.isArray(opts.live) ? opts.live : [];
  if (opts.live === true && !opts.mirror?.length) {
    io.err('p2p-seed: error: --live needs the folders an encoder writes into, or --mirror with the URL of a live stream');
    return { exitCode: 1 };
  }
  const mirror = opts.mirror?.length
    ? { urls: opts.mirror, cacheDir: path.resolve(opts.mirrorCache), cacheBytes: opts.mirrorCacheSize, liveOnly: opts.live === true }
    : undefined;
  const given = program.processedArgs[0] as string | undefined;
  if (mirror && given === undefined) {
    // A volunteer's mirror: no collection of its own, nothing served over HTTP.
    try {
      return { exitCode: 0, mirror: await startMirror({ ...mirror, limits: seedLimits, logger: (line) => (line.includes('skipping') ? io.err(line) : log?.(line)) }) };
    } catch (error) {
      io.err(`p2p-seed: error: ${(error as Error).message}`);
      return { exitCode: 1 };
    }
  }
  const dir = path.resolve(given ?? defaultCollectionDir);
  try {
    await assertDirectory(dir);
    // Every MP4 not yet packaged becomes HLS before the first viewer arrives; bad files are reported and skipped.
    // A terminal gets a progress bar per title; anything else gets plain lines.
    const bars = !quiet && process.stdout.isTTY === true;
    if (opts.package) await packageCollection(dir, { progress: bars ? 'bars' : 'none', logger: quiet || bars ? undefined : io.out });
    const server = await startServer({
      root: dir,
      port,
      host,
      tracker,
      openTracker: opts.openTracker === true,
      swarmMetadata,
      seed,
      seedLimits,
      mirror,
      // Without --db, startServer's default (DIR/.p2p-seed/counts.db), which only warns when it cannot be opened.
      counts: !opts.counts ? false : opts.db ? { path: path.resolve(opts.db) } : undefined,
      live: liveDirs.map((live) => ({ dir: path.resolve(live) })),
      logger: log,
    });
    return { exitCode: 0, server };
  } catch (error) {
    io.err(`p2p-seed: error: ${(error as Error).message}`);
    return { exitCode: 1 };
  }
}

/** The `p2p-seed` entry point: runs until SIGINT or SIGTERM, then closes the server and exits 0. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  // Listening for signals from the start: one that arrives while the server is still starting (say, while it
  // adds swarm metadata) closes it as soon as it is up.
  let server: { close(): Promise<void> } | undefined;
  let stopping = false;
  const stop = (): void => {
    // A second signal while closing means "now".
    if (stopping && server) process.exit(0);
    stopping = true;
    if (server) void server.close().finally(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const result = await runCli(argv);
  server = result.server ?? result.mirror;
  if (!server) {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    process.exitCode = result.exitCode;
    return;
  }
  if (stopping) void server.close().finally(() => process.exit(0));
}

function parsePort(value: string): number {
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new InvalidArgumentError('use an integer from 0 to 65535.');
  return port;
}

function parsePeerCap(value: string): number {
  const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1)) throw new InvalidArgumentError('use a whole number of peers, at least 1.');
  return n;
}

// Bytes: kB, MB, GB; bits: kbit, Mbit, Gbit or kbps, Mbps, Gbps. Decimal, case-insensitive.
const RATE_UNITS: Record<string, number> = {
  '': 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kbit: 125,
  mbit: 125e3,
  gbit: 125e6,
  kbps: 125,
  mbps: 125e3,
  gbps: 125e6,
};

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12 };

/** A size in bytes: `500000000`, `500MB`, `2GB` (decimal units, case-insensitive). */
export function parseSize(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  const size = match && unit ? Number(match[1]) * unit : Number.NaN;
  if (!(size >= 1)) throw new InvalidArgumentError('use a size such as 500MB or 2GB.');
  return Math.round(size);
}

/** A rate in bytes per second: `500000`, `500kB`, `20MB/s`, `100mbit`, `100Mbps`, `1gbit`. */
export function parseRate(value: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)(?:\/s)?$/i.exec(value.trim());
  const unit = match ? RATE_UNITS[match[2].toLowerCase()] : undefined;
  const rate = match && unit ? Number(match[1]) * unit : Number.NaN;
  if (!(rate >= 1)) throw new InvalidArgumentError('use a rate such as 100mbit, 20MB or 500000 (bytes per second).');
  return Math.round(rate);
}

function readVersion(): string {
  const manifest = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as { version?: string };
  return manifest.version ?? '0.0.0';
}
