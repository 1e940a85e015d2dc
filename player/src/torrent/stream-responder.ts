/** A file as the service worker streams it to a media element. */
export interface StreamableFile {
  length: number;
  /** MIME type of the response. */
  type: string;
  /** Bytes start..end (inclusive) in order, as they become available (verified). */
  read(start: number, end: number): AsyncIterator<Uint8Array>;
}

/** The request the service worker passes on (the message WebTorrent's worker sends too). */
interface StreamRequest {
  type: 'webtorrent';
  url: string;
  method: string;
  headers: Record<string, string>;
  scope: string;
}

const published = new Map<string, StreamableFile>();
const KEEPALIVE_MS = 20_000;
let keepAlive: ReturnType<typeof setInterval> | undefined;
let keepAliveUrl = '';
let openStreams = 0;

/**
 * Makes `file` playable at `<scope>webtorrent/<id>/<name>`, answering the service worker's requests for that URL
 * from this page (byte ranges included). Requests for URLs this page did not publish are left for other pages.
 */
export function publishStream(scope: string, id: string, name: string, file: StreamableFile): { url: string; close(): void } {
  // As the browser will spell it in the request (URL parsing normalises escapes).
  const url = new URL(`webtorrent/${encodeURIComponent(id)}/${encodeURIComponent(name)}`, scope).href;
  if (published.size === 0) navigator.serviceWorker.addEventListener('message', onMessage);
  published.set(url, file);
  keepAliveUrl = `${scope}webtorrent/keepalive/`;
  return {
    url,
    close: () => {
      if (published.get(url) !== file) return;
      published.delete(url);
      if (published.size === 0) navigator.serviceWorker.removeEventListener('message', onMessage);
    },
  };
}

function onMessage(event: MessageEvent): void {
  const request = event.data as Partial<StreamRequest> | null;
  const port = event.ports[0];
  if (!port || request?.type !== 'webtorrent' || typeof request.url !== 'string') return;
  const file = published.get(request.url.split('#', 1)[0]);
  if (!file) return;
  respond(file, request as StreamRequest, port);
}

function respond(file: StreamableFile, request: StreamRequest, port: MessagePort): void {
  const size = file.length;
  const headers: Record<string, string> = { 'Content-Type': file.type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-store' };
  const range = parseRange(request.headers.range ?? request.headers.Range, size);
  if (range === 'unsatisfiable') {
    port.postMessage({ status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` }, body: '' });
    return;
  }
  const { start, end } = range ?? { start: 0, end: size - 1 };
  headers['Content-Length'] = String(end - start + 1);
  if (range) headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  const status = range ? 206 : 200;
  if (request.method !== 'GET' || size === 0) {
    port.postMessage({ status, headers, body: '' });
    return;
  }
  const chunks = file.read(start, end);
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    port.onmessage = null;
    void chunks.return?.();
    openStreams -= 1;
    if (openStreams === 0) {
      clearInterval(keepAlive);
      keepAlive = undefined;
    }
  };
  openStreams += 1;
  // A worker idle for ~30 s is stopped by the browser, even with a stream open: ping it while streams are.
  keepAlive ??= setInterval(() => void fetch(keepAliveUrl).catch(() => undefined), KEEPALIVE_MS);
  port.onmessage = async ({ data: more }) => {
    if (!more) return close();
    let chunk: Uint8Array | undefined;
    try {
      const next = await chunks.next();
      chunk = next.done ? undefined : next.value;
    } catch {
      chunk = undefined;
    }
    if (!open) return;
    port.postMessage(chunk ?? null);
    if (!chunk) close();
  };
  port.postMessage({ status, headers, body: 'STREAM' });
}

/** A `Range: bytes=…` header (the first range only) within a file of `size` bytes. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = header ? /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,|$)/i.exec(header) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (match[1] === '') {
    // bytes=-N: the last N bytes.
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}
