import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs ffmpeg quietly; a missing ffmpeg or a failure becomes one readable error naming `what` it was making. */
export async function ffmpeg(args: string[], what: string): Promise<void> {
  try {
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error(`ffmpeg is needed to make ${what}: apt-get install ffmpeg`);
    throw new Error(`ffmpeg failed: ${e.stderr?.trim() || e.message}`);
  }
}
