/**
 * Packaging benchmark: p2p-seed's packager against ffmpeg's stream-copy remux of the same MP4 into fMP4 HLS, in
 * the same process and run, the two sides alternating first place; prints wall time, MB/s of source bytes, CPU
 * time and memory of each, the throughput ratio (≥ 1: we package at least as fast as ffmpeg remuxes), and
 * writes them to test-results/bench-package.json.
 *
 *   npx tsx test/bench/package-bench.ts [--runs 3] [--seconds 120] [--height 720]
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, realpathSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { packageCollection } from '../../server-seed/src/packager/index.ts';
import { median } from './bench-report.ts';
import { DEFAULT_SOURCE_RECIPE, makeBenchSource, type BenchSource, type SourceRecipe } from './package-bench-media.ts';

const REPO = join(import.meta.dirname, '../..');
const OUTPUT = join(REPO, 'test-results/bench-package.json');
const TITLE = 'title';
const SEGMENT_SECONDS = 4;
/** Reports ffmpeg's CPU time and peak memory; without it only wall time is measured. */
const GNU_TIME = '/usr/bin/time';

export interface PackageBenchOptions {
  seconds: number;
  runs: number;
  height: number;
}

export const USAGE = `usage: npx tsx test/bench/package-bench.ts [--runs K] [--seconds S] [--height H]
  --runs K      package the file K times with each tool and report medians (default 3)
  --seconds S   duration of the source MP4 (default ${DEFAULT_SOURCE_RECIPE.durationSeconds})
  --height H    frame height of the source, 16:9, ~2.5 Mb/s at 720p scaled by pixels (default ${DEFAULT_SOURCE_RECIPE.height})
The source is made once with ffmpeg and cached under ${tmpdir()}; ffmpeg on PATH is also the baseline.`;

export class UsageError extends Error {}

type Tool = 'p2p-seed' | 'ffmpeg';

export interface ToolRun {
  seconds: number;
  /** Source bytes / wall seconds, in MB (10^6) per second. */
  mbPerSecond: number;
  /** User + system CPU seconds (ours: the whole process, thread pool included; ffmpeg: the child, from GNU time). */
  cpuSeconds: number | null;
  /** Ours: how far the process's RSS rose above where it was before packaging, sampled every 20 ms. */
  rssGrowthMB?: number;
  /** ffmpeg: the child's peak RSS. */
  peakRssMB?: number | null;
  /** Media segments written (.m4s files found in the output), all renditions together. */
  segments: number;
  outputBytes: number;
}

export interface PackageBenchRun {
  /** 1-based repetition. */
  run: number;
  order: Tool[];
  ours: ToolRun;
  ffmpeg?: ToolRun;
  /** ours MB/s / ffmpeg MB/s in this run. */
  ratio?: number;
}

export interface PackageBenchSummary {
  sourceMB: number;
  runs: number;
  ours: { medianSeconds: number; mbPerSecond: number; medianCpuSeconds: number | null };
  ffmpeg?: { medianSeconds: number; mbPerSecond: number; medianCpuSeconds: number | null };
  /** Median over runs of each run's ours / ffmpeg throughput; ≥ 1 meets the target. */
  ratio?: number;
}

export interface PackageBenchReport {
  date: string;
  command: string;
  options: PackageBenchOptions;
  source: SourceRecipe & Omit<BenchSource, 'file'>;
  baseline: string | null;
  environment: { node: string; ffmpeg: string | null; cores: number; cpu: string; platform: string };
  durationSeconds: number;
  summary: PackageBenchSummary;
  runs: PackageBenchRun[];
}

function parseOptions(argv: string[]): PackageBenchOptions | null {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        runs: { type: 'string', default: '3' },
        seconds: { type: 'string', default: String(DEFAULT_SOURCE_RECIPE.durationSeconds) },
        height: { type: 'string', default: String(DEFAULT_SOURCE_RECIPE.height) },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return null;
  const integer = (name: string, value: string, min: number): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer of at least ${min}, not "${value}"`);
    return n;
  };
  const height = integer('height', values.height, 144);
  if (height % 2 !== 0) throw new UsageError(`--height must be even (H.264 4:2:0), not "${values.height}"`);
  return { runs: integer('runs', values.runs, 1), seconds: integer('seconds', values.seconds, 10), height };
}

/**
 * Runs the benchmark with command-line style arguments and writes its report; resolves to the report, or to
 * undefined after printing the usage for --help. Rejects with UsageError on bad arguments.
 */
export async function runPackageBench(argv: string[]): Promise<PackageBenchReport | undefined> {
  const options = parseOptions(argv);
  if (!options) {
    console.log(USAGE);
    return undefined;
  }
  const started = Date.now();
  const ffmpegVersion = await probeFfmpeg();
  const recipe: SourceRecipe = { ...DEFAULT_SOURCE_RECIPE, durationSeconds: options.seconds, height: options.height };
  const source = await makeBenchSource(recipe);
  const sourceMB = source.bytes / 1e6;
  console.log(
    `source: ${source.cached ? 'reusing' : `made in ${((Date.now() - started) / 1000).toFixed(1)} s`} ${source.file}\n` +
      `  ${sourceMB.toFixed(1)} MB, ${recipe.durationSeconds} s ${source.width}x${source.height}@${recipe.fps} H.264 ~${source.videoKbps} kb/s ` +
      `(key frame every ${recipe.keyframeSeconds} s) + AAC ${source.audioKbps} kb/s`,
  );
  if (!ffmpegVersion) console.log('ffmpeg not found on PATH: the baseline is skipped, only p2p-seed is measured');
  const timed = ffmpegVersion !== null && existsSync(GNU_TIME);
  console.log(
    `${options.runs} run${options.runs > 1 ? 's' : ''}, ${ffmpegVersion ? 'the two tools alternating first place' : 'p2p-seed only'}; ` +
      `${SEGMENT_SECONDS} s segments (${cpus().length} cores${ffmpegVersion ? `, ${ffmpegVersion}` : ''})`,
  );

  // Read once so the first run does not pay for a cold disk; each run then copies the file from the page cache.
  await drain(source.file);
  const runs: PackageBenchRun[] = [];
  for (let run = 1; run <= options.runs; run += 1) {
    const order: Tool[] = !ffmpegVersion ? ['p2p-seed'] : run % 2 === 1 ? ['p2p-seed', 'ffmpeg'] : ['ffmpeg', 'p2p-seed'];
    const dir = await mkdtemp(join(tmpdir(), 'p2p-video-package-bench-run-'));
    try {
      const results = new Map<Tool, ToolRun>();
      for (const tool of order) {
        const collection = join(dir, tool);
        await mkdir(collection);
        await copyFile(source.file, join(collection, `${TITLE}.mp4`));
      }
      for (const tool of order) {
        const collection = join(dir, tool);
        results.set(tool, tool === 'p2p-seed' ? await packageOurs(collection, source.bytes) : await remuxFfmpeg(collection, source.bytes, timed));
      }
      const ours = results.get('p2p-seed')!;
      const ffmpeg = results.get('ffmpeg');
      const result: PackageBenchRun = { run, order, ours, ffmpeg, ratio: ffmpeg ? ours.mbPerSecond / ffmpeg.mbPerSecond : undefined };
      console.log(formatRun(result));
      runs.push(result);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  const summary = summarize(runs, sourceMB);
  console.log(`\n${formatSummary(summary)}\n`);
  await mkdir(join(REPO, 'test-results'), { recursive: true });
  const { file: _file, ...sourceFacts } = source;
  const report: PackageBenchReport = {
    date: new Date().toISOString(),
    command: ['tsx', 'test/bench/package-bench.ts', ...argv].join(' '),
    options,
    source: { ...recipe, ...sourceFacts },
    baseline: ffmpegVersion ? ['ffmpeg', ...ffmpegArgs()].join(' ') : null,
    environment: { node: process.version, ffmpeg: ffmpegVersion, cores: cpus().length, cpu: cpus()[0]?.model ?? '?', platform: process.platform },
    durationSeconds: Math.round((Date.now() - started) / 1000),
    summary,
    runs,
  };
  await writeFile(OUTPUT, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${OUTPUT} (${report.durationSeconds} s)`);
  return report;
}

/** Our packager through its public entry, on a collection holding the one file; checks it wrote a title. */
async function packageOurs(collection: string, sourceBytes: number): Promise<ToolRun> {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 20);
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  let report;
  try {
    report = await packageCollection(collection, { targetSegmentSeconds: SEGMENT_SECONDS, progress: 'none' });
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());

  const skipped = report.skipped.map((s) => `${s.file}: ${s.reason}`).join('; ');
  if (report.packaged.length !== 1) throw new Error(`p2p-seed packaged ${report.packaged.length} titles, not 1${skipped ? ` (skipped ${skipped})` : ''}`);
  const output = await checkOutput('p2p-seed', join(collection, TITLE));
  if (output.segments !== report.packaged[0]!.segments) {
    throw new Error(`p2p-seed reports ${report.packaged[0]!.segments} segments but ${output.segments} .m4s files are on disk`);
  }
  return {
    seconds,
    mbPerSecond: sourceBytes / 1e6 / seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    rssGrowthMB: (rssPeak - rssBefore) / 1e6,
    ...output,
  };
}

/**
 * ffmpeg's stream copy into the same layout as ours: fMP4 HLS, video and audio as separate renditions of an
 * audio group, cut at the first key frame after 4 s.
 */
function ffmpegArgs(): string[] {
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-y', '-i', `${TITLE}.mp4`,
    '-map', '0:v:0', '-map', '0:a:0', '-c', 'copy',
    '-f', 'hls', '-hls_time', String(SEGMENT_SECONDS), '-hls_segment_type', 'fmp4', '-hls_playlist_type', 'vod',
    '-var_stream_map', 'v:0,agroup:audio,name:video a:0,agroup:audio,name:audio',
    '-hls_segment_filename', 'out/%v/seg-%05d.m4s', '-master_pl_name', 'master.m3u8',
    'out/%v/index.m3u8',
  ];
}

async function remuxFfmpeg(collection: string, sourceBytes: number, timed: boolean): Promise<ToolRun> {
  const timeFile = join(collection, 'time.txt');
  const [command, args] = timed ? [GNU_TIME, ['-f', '%U %S %M', '-o', timeFile, 'ffmpeg', ...ffmpegArgs()]] : ['ffmpeg', ffmpegArgs()];
  const t0 = performance.now();
  await new Promise<void>((done, fail) => {
    const child = spawn(command, args, { cwd: collection, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => (code === 0 ? done() : fail(new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  let cpuSeconds: number | null = null;
  let peakRssMB: number | null = null;
  if (timed) {
    const [user, system, maxKb] = (await readFile(timeFile, 'utf8')).trim().split('\n').pop()!.split(' ').map(Number);
    if (Number.isFinite(user) && Number.isFinite(system)) cpuSeconds = user! + system!;
    if (Number.isFinite(maxKb)) peakRssMB = (maxKb! * 1024) / 1e6;
  }
  const output = await checkOutput('ffmpeg', join(collection, 'out'));
  return { seconds, mbPerSecond: sourceBytes / 1e6 / seconds, cpuSeconds, peakRssMB, ...output };
}

/** So neither side can silently measure nothing: a master playlist and some segments must be there. */
async function checkOutput(tool: Tool, folder: string): Promise<{ segments: number; outputBytes: number }> {
  if (!existsSync(join(folder, 'master.m3u8'))) throw new Error(`${tool} wrote no master.m3u8 in ${folder}`);
  let segments = 0;
  let outputBytes = 0;
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    outputBytes += (await stat(join(entry.parentPath, entry.name))).size;
    if (entry.name.endsWith('.m4s')) segments += 1;
  }
  if (segments === 0) throw new Error(`${tool} wrote no .m4s segments in ${folder}`);
  return { segments, outputBytes };
}

/** The first line of `ffmpeg -version`, or null when there is no ffmpeg to compare with. */
async function probeFfmpeg(): Promise<string | null> {
  return new Promise((done) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', () => done(null));
    child.on('close', (code) => done(code === 0 ? (out.split('\n')[0]?.replace(/ Copyright.*$/, '') ?? 'ffmpeg') : null));
  });
}

async function drain(file: string): Promise<void> {
  for await (const _chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    // Reading is the point.
  }
}

function summarize(runs: readonly PackageBenchRun[], sourceMB: number): PackageBenchSummary {
  const figures = (list: ToolRun[]) => {
    const cpu = list.map((r) => r.cpuSeconds).filter((c): c is number => c !== null);
    const seconds = median(list.map((r) => r.seconds));
    return { medianSeconds: seconds, mbPerSecond: sourceMB / seconds, medianCpuSeconds: cpu.length === list.length ? median(cpu) : null };
  };
  const baseline = runs.map((r) => r.ffmpeg).filter((r): r is ToolRun => r !== undefined);
  return {
    sourceMB,
    runs: runs.length,
    ours: figures(runs.map((r) => r.ours)),
    ffmpeg: baseline.length > 0 ? figures(baseline) : undefined,
    ratio: baseline.length > 0 ? median(runs.map((r) => r.ratio!)) : undefined,
  };
}

function formatTool(name: string, r: ToolRun): string {
  const cpu = r.cpuSeconds === null ? '' : `, cpu ${r.cpuSeconds.toFixed(2)} s`;
  const memory =
    r.rssGrowthMB !== undefined ? `, rss +${Math.round(r.rssGrowthMB)} MB` : r.peakRssMB != null ? `, peak rss ${Math.round(r.peakRssMB)} MB` : '';
  return `${name} ${r.seconds.toFixed(2)} s, ${r.mbPerSecond.toFixed(1)} MB/s${cpu}${memory}, ${r.segments} segments, ${(r.outputBytes / 1e6).toFixed(1)} MB out`;
}

function formatRun(run: PackageBenchRun): string {
  const parts = run.order.map((tool) => (tool === 'p2p-seed' ? formatTool('p2p-seed', run.ours) : formatTool('ffmpeg', run.ffmpeg!)));
  return `run ${run.run}: ${parts.join(' | ')}${run.ratio !== undefined ? ` | ratio ×${run.ratio.toFixed(2)}` : ''}`;
}

function formatSummary(s: PackageBenchSummary): string {
  const rows: string[][] = [['', 'median s', 'MB/s', 'cpu s']];
  const row = (name: string, f: PackageBenchSummary['ours']) =>
    rows.push([name, f.medianSeconds.toFixed(2), f.mbPerSecond.toFixed(1), f.medianCpuSeconds === null ? 'n/a' : f.medianCpuSeconds.toFixed(2)]);
  row('p2p-seed', s.ours);
  if (s.ffmpeg) row('ffmpeg -c copy', s.ffmpeg);
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('   ');
  const title = `${s.sourceMB.toFixed(1)} MB source, ${s.runs === 1 ? '1 run' : `medians of ${s.runs} runs`}`;
  const verdict =
    s.ratio === undefined
      ? 'no ffmpeg baseline: ratio not measured'
      : `throughput p2p-seed / ffmpeg: ×${s.ratio.toFixed(2)} (target ≥ 1: ${s.ratio >= 1 ? 'met' : 'not met'})`;
  return [title, ...rows.map(line), verdict].join('\n');
}

function invokedDirectly(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(resolve(script))).href;
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  runPackageBench(process.argv.slice(2)).then(
    () => (process.exitCode = 0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        console.error(`package-bench: ${error.message}\n${USAGE}`);
        process.exitCode = 2;
        return;
      }
      console.error(`package-bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exitCode = 1;
    },
  );
}
