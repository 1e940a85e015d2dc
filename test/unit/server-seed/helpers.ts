import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';

/** Files to create, by path relative to the directory. */
export type Tree = Record<string, string | Uint8Array>;

export async function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'p2p-seed-test-'));
}

export async function writeTree(dir: string, tree: Tree): Promise<void> {
  for (const [relative, content] of Object.entries(tree)) {
    const file = path.join(dir, relative);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Deterministic bytes, so a range can be compared with the slice it must be. */
export function bytes(length: number, seed = 7): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => (index * 31 + seed) % 251);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * An HTTP request whose path goes on the wire exactly as written; fetch() would normalise `..` and
 * `%2e%2e` away before the server ever sees them.
 */
export function rawRequest(
  port: number,
  requestPath: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: requestPath, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The media playlist text for segments of the given durations. */
export function mediaPlaylist(segments: [uri: string, duration: number][], extra = ''): string {
  const lines = ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:7', extra];
  for (const [uri, duration] of segments) lines.push(`#EXTINF:${duration},`, uri);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.filter((line, index) => line !== '' || index === lines.length - 1).join('\n');
}
