import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { OriginCounter } from '../../../server-seed/src/index.ts';

/** Sends one response of `length` bytes for `name` through the counter. */
function send(counter: OriginCounter, name: string, length: number, method = 'GET'): void {
  const res = Object.assign(new EventEmitter(), { statusCode: 200, getHeader: () => String(length) });
  counter.watch({ method } as IncomingMessage, res as unknown as ServerResponse, name);
  res.emit('finish');
}

describe('OriginCounter', () => {
  it('counts media segments, init segments and progressive files, not playlists, posters or HEAD', () => {
    const counter = new OriginCounter();
    send(counter, 'seg-00000.m4s', 1000);
    send(counter, 'init.mp4', 100);
    send(counter, 'film.webm', 10);
    send(counter, 'index.m3u8', 5000);
    send(counter, 'poster.mp4', 3000);
    send(counter, 'poster.jpg', 3000);
    send(counter, 'seg-00001.m4s', 1000, 'HEAD');
    expect(counter.snapshot).toEqual({ segmentBytes: 1110, segmentRequests: 3 });
  });
});
