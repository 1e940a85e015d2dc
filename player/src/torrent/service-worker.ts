// p2p-video-sw.js: the service worker that lets a <video> play a file WebTorrent is downloading. The player gives
// the video a URL under `<scope>webtorrent/`; this worker answers it with bytes the page streams to it over a
// MessageChannel, as WebTorrent's own worker does (same messages, so a page may use either worker), except that it
// asks only the page that made the request, never every tab of the site (another tab would answer 404 first).
// Built on its own (no imports, a classic script): `npm run build` writes it to player/dist/p2p-video-sw.js.

interface WindowClientLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
}

interface FetchEventLike extends Event {
  readonly request: Request;
  readonly clientId: string;
  respondWith(response: Response | Promise<Response>): void;
}

interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}

interface ServiceWorkerScope {
  readonly registration: { readonly scope: string };
  readonly clients: {
    get(id: string): Promise<WindowClientLike | undefined>;
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<WindowClientLike[]>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
}

/** What the page answers first: the response's status and headers, and `STREAM` when the body follows in chunks. */
interface StreamHead {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const worker = self as unknown as ServiceWorkerScope;
/** No page answering this long: the stream is gone (its player closed, or the page reloaded). */
const ANSWER_TIMEOUT_MS = 10_000;

worker.addEventListener('install', () => {
  void worker.skipWaiting();
});

worker.addEventListener('activate', (event) => {
  // Take the open pages at once: the player waits for this page to be controlled before it plays.
  event.waitUntil(worker.clients.claim());
});

worker.addEventListener('fetch', (event) => {
  const { url } = event.request;
  const base = `${worker.registration.scope}webtorrent/`;
  if (!url.startsWith(base)) return;
  const rest = url.slice(base.length);
  if (rest.startsWith('keepalive/')) event.respondWith(new Response());
  else if (rest.startsWith('cancel/')) event.respondWith(new Response(new ReadableStream({})));
  else event.respondWith(serve(event));
});

async function serve(event: FetchEventLike): Promise<Response> {
  const { request } = event;
  const own = event.clientId ? await worker.clients.get(event.clientId) : undefined;
  const targets = own ? [own] : await worker.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const message = {
    url: request.url,
    method: request.method,
    headers: Object.fromEntries(request.headers.entries()),
    scope: worker.registration.scope,
    destination: request.destination,
    type: 'webtorrent',
  };
  const answer = await new Promise<{ head: StreamHead; port: MessagePort } | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ANSWER_TIMEOUT_MS);
    for (const client of targets) {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = ({ data }) => {
        clearTimeout(timer);
        resolve({ head: data as StreamHead, port: port1 });
      };
      client.postMessage(message, [port2]);
    }
  });
  if (!answer) return new Response('p2p-video: no player on this page streams this file', { status: 504 });
  const { head, port } = answer;
  const init = { status: head.status, headers: head.headers };
  if (head.body !== 'STREAM') {
    port.postMessage(false);
    port.onmessage = null;
    return new Response(head.body || null, init);
  }
  const close = (): void => {
    port.postMessage(false);
    port.onmessage = null;
  };
  return new Response(
    new ReadableStream<Uint8Array>({
      pull: (controller) =>
        new Promise<void>((resolve) => {
          port.onmessage = ({ data }) => {
            if (data) controller.enqueue(data as Uint8Array);
            else {
              close();
              controller.close();
            }
            resolve();
          };
          port.postMessage(true);
        }),
      cancel: close,
    }),
    init,
  );
}
