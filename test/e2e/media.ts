import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageCollection } from '../../server-seed/src/packager/index.ts';

const REPO = join(import.meta.dirname, '../..');

function ffmpeg(args: string[]): void {
  try {
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(missing ? 'ffmpeg is needed to make the test streams: apt-get install ffmpeg' : `ffmpeg failed: ${String(error)}`);
  }
}

/**
 * The collection the end-to-end tests are served: the bundled demo (packaged here, as p2p-seed does at start),
 * streams made here by another packager
 * (ffmpeg's own HLS muxer, MPEG-TS segments), and broken inputs of each kind a site might serve by mistake.
 */
export async function makeTestCollection(root: string): Promise<void> {
  // The demo as shipped: MP4 sources only (not a demo/ that `npm start` may have packaged in the checkout).
  const shipped = join(REPO, 'examples/collection');
  for (const name of (await readdir(shipped)).filter((n) => n.endsWith('.mp4'))) await cp(join(shipped, name), join(root, name));

  // 60 s of MPEG-TS in 2 s segments: long enough that a player is still fetching after several seconds.
  await mkdir(join(root, 'ts'), { recursive: true });
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=15:duration=60',
    '-f', 'lavfi', '-i', 'sine=frequency=660:duration=60',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', '30', '-b:v', '150k',
    '-c:a', 'aac', '-b:a', '48k',
    '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_filename', join(root, 'ts/seg-%03d.ts'),
    join(root, 'ts/index.m3u8'),
  ]);

  ffmpeg(['-i', join(root, 'demo.mp4'), '-frames:v', '1', '-q:v', '4', join(root, 'poster.jpg')]);

  // An MP4 packaged by our own packager (mp4box, no ffmpeg): H.264 + AAC, demuxed audio rendition.
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=12',
    '-f', 'lavfi', '-i', 'sine=frequency=330:duration=12',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-c:a', 'aac', '-b:a', '64k',
    join(root, 'packaged.mp4'),
  ]);
  // A longer video-only title for the seeder: its first segment is a small share of the whole.
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=60',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-b:v', '300k',
    join(root, 'seeded.mp4'),
  ]);
  const report = await packageCollection(root, { progress: 'none' });
  if (!['demo', 'packaged', 'seeded'].every((title) => report.packaged.some((t) => t.title === title))) throw new Error(`packaging the test title failed: ${JSON.stringify(report)}`);

  // Progressive files (torrent.spec.ts), made after packaging so they stay plain files: 20 s of H.264 + AAC with
  // its index first (faststart), the same without (index at the end), a longer one, and 8 s of VP9 + Opus in WebM.
  const progressive = ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=20', '-f', 'lavfi', '-i', 'sine=frequency=550:duration=20'];
  const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', '50', '-b:v', '400k', '-c:a', 'aac', '-b:a', '64k'];
  ffmpeg([...progressive, ...h264, '-movflags', '+faststart', join(root, 'prog.mp4')]);
  ffmpeg([...progressive, ...h264, join(root, 'prog-tail.mp4')]);
  // 60 s, 5 MB: long enough to download that a viewer's every peer connects while it still needs pieces.
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=60', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=60',
    ...h264.map((arg) => (arg === '400k' ? '600k' : arg)), '-movflags', '+faststart', join(root, 'prog-long.mp4'),
  ]);
  ffmpeg([
    '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=8', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=8',
    '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '50', '-c:a', 'libopus', '-b:a', '48k',
    join(root, 'prog.webm'),
  ]);

  const bad = join(root, 'bad');
  await mkdir(join(bad, 'notmedia'), { recursive: true });
  await writeFile(join(bad, 'malformed.m3u8'), '<html><body>This is not a playlist</body></html>\n');
  // A well-formed playlist whose segments are text.
  const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', '#EXT-X-PLAYLIST-TYPE:VOD'];
  for (let i = 0; i < 3; i += 1) {
    lines.push('#EXTINF:2.0,', `seg-${i}.ts`);
    await writeFile(join(bad, 'notmedia', `seg-${i}.ts`), 'not video, just text\n'.repeat(200));
  }
  lines.push('#EXT-X-ENDLIST');
  await writeFile(join(bad, 'notmedia/index.m3u8'), `${lines.join('\n')}\n`);
  // Valid media, but announced with a codec no browser decodes.
  await writeFile(
    join(bad, 'codec.m3u8'),
    ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=200000,RESOLUTION=320x180,CODECS="zzz9.1.2,mp4a.40.2"', '../ts/index.m3u8', ''].join('\n'),
  );

  // A bare page that loads the bundle and nothing else, for tests that build their own players.
  await writeFile(
    join(root, 'harness.html'),
    '<!doctype html><html><head><meta charset="utf-8"><script type="module" src="/player/p2p-video.js"></script></head><body></body></html>\n',
  );
}
