import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bytes } from '../helpers.ts';

/** An encoder as ffmpeg's hls muxer behaves: a segment is written whole, then listed; old ones leave and are deleted. */
export class FakeEncoder {
  readonly dir: string;
  next = 0;
  private readonly listSize: number;
  private readonly start: number;

  constructor(dir: string, { listSize = 3, start = 0 } = {}) {
    this.dir = dir;
    this.listSize = listSize;
    this.start = start;
    this.next = start;
  }

  content(sn: number): Uint8Array {
    return bytes(1000 + sn * 10, sn + 1);
  }

  async segment(): Promise<void> {
    const sn = this.next++;
    await writeFile(path.join(this.dir, `seg${sn}.ts`), this.content(sn));
    await this.playlist();
    const gone = sn - this.listSize - 2;
    if (gone >= this.start) await rm(path.join(this.dir, `seg${gone}.ts`), { force: true });
  }

  async playlist(end = false): Promise<void> {
    const first = Math.max(this.start, this.next - this.listSize);
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${first}`];
    for (let sn = first; sn < this.next; sn++) lines.push('#EXTINF:2.000000,', `seg${sn}.ts`);
    if (end) lines.push('#EXT-X-ENDLIST');
    await writeFile(path.join(this.dir, 'index.m3u8'), `${lines.join('\n')}\n`);
  }
}
