import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface LiveEncoder {
  /** Why the encoder is no longer running when nobody stopped it (it failed or is missing); undefined while it runs. */
  readonly failure: Error | undefined;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A live event as the benchmark has it: ffmpeg's test pattern and a tone in real time (`-re`), 360p at 500 kb/s,
 * `segmentSeconds` segments (a keyframe at each), six in the playlist, old ones deleted, written into `dir`.
 */
export function startLiveEncoder(dir: string, segmentSeconds: number): LiveEncoder {
  const fps = 24;
  const child = spawn(
    'ffmpeg',
    [
      ...['-hide_banner', '-loglevel', 'error', '-re'],
      ...['-f', 'lavfi', '-i', `testsrc2=size=640x360:rate=${fps}`, '-f', 'lavfi', '-i', 'sine=frequency=440'],
      // yuv420p: testsrc2 would otherwise give x264 4:4:4, which browsers do not decode.
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-b:v', '500k'],
      ...['-g', String(fps * segmentSeconds), '-sc_threshold', '0', '-c:a', 'aac', '-b:a', '64k'],
      ...['-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_list_size', '6', '-hls_flags', 'delete_segments'],
      join(dir, 'index.m3u8'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  let failure: Error | undefined;
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      failure = new Error(error.code === 'ENOENT' ? 'ffmpeg is needed for the live encoder: apt-get install ffmpeg' : `ffmpeg: ${error.message}`);
      resolve();
    });
    child.once('exit', (code, signal) => {
      if (!stopping) failure ??= new Error(`the live encoder (ffmpeg) exited (${signal ?? `code ${code}`}): ${stderr.trim() || 'no message'}`);
      resolve();
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    get failure() {
      return failure;
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      })();
      return stopped;
    },
  };
}
