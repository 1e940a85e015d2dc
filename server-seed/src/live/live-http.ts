import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from '../responses.ts';
import { createStaticDir, type StaticDir } from '../static-dir.ts';
import type { LiveStream } from './live-stream.ts';

/** Where a live stream is served: `/live/<name>/`, its wrapper playlist `/live/<name>/master.m3u8`. */
export const LIVE_MOUNT = 'live';
export const LIVE_PLAYLIST = 'master.m3u8';

export function liveSrc(name: string): string {
  return `/${LIVE_MOUNT}/${encodeURIComponent(name)}/${LIVE_PLAYLIST}`;
}

/**
 * Serves live streams under /live/<name>/: the wrapper playlist, swarm.json and the sliding hashes.json made by
 * the stream (never cached), and the encoder's own files from its folder (revalidated: an encoder that starts again
 * writes the same names).
 */
export class LiveHttp {
  private readonly streams = new Map<string, { stream: LiveStream; files: StaticDir }>();

  constructor(streams: { stream: LiveStream; dir: string }[]) {
    for (const { stream, dir } of streams) this.streams.set(stream.name, { stream, files: createStaticDir(dir, { revalidateAll: true }) });
  }

  /** `rest`: the request path after /live/. */
  async serve(req: IncomingMessage, res: ServerResponse, rest: string[], trailingSlash: boolean): Promise<void> {
    const [name, ...inside] = rest;
    const entry = name === undefined ? undefined : this.streams.get(name);
    if (!entry) return sendText(req, res, 404, 'not found: no live stream of that name');
    const file = inside.length === 1 && !trailingSlash ? inside[0] : undefined;
    const { stream } = entry;
    if (file === LIVE_PLAYLIST) {
      const playlist = stream.masterPlaylist();
      if (!playlist) return sendText(req, res, 404, `live stream ${name} has not started: its encoder has written no playlist yet`);
      return send(req, res, 'application/vnd.apple.mpegurl', playlist);
    }
    if (file === 'swarm.json') return send(req, res, 'application/json; charset=utf-8', `${JSON.stringify(stream.swarmMetadata())}\n`);
    if (file === 'hashes.json') return send(req, res, 'application/json; charset=utf-8', stream.hashManifest());
    if ((await entry.files.serve(req, res, { segments: inside, trailingSlash, mount: `/${LIVE_MOUNT}/${name}` })) === 'missing') {
      sendText(req, res, 404, 'not found');
    }
  }
}

function send(req: IncomingMessage, res: ServerResponse, type: string, body: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}
