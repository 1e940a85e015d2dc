const ACTIVATE_TIMEOUT_MS = 5000;

interface PageWorker {
  /** Resolves once the worker controls this page. */
  ready: Promise<ServiceWorkerRegistration>;
  /** A player streams through it. */
  used: boolean;
  /** This page registered it (no worker was there before). */
  registeredHere: boolean;
}

/** The streaming worker made ready for this page, by its URL: each is made ready once per page. */
const workers = new Map<string, PageWorker>();

/**
 * The service worker that streams torrents to this page's media elements, registered if need be, once it controls
 * the page. A worker serves only the pages inside its scope, so `p2p-video-sw.js` is registered with scope `/`
 * (which needs the site to send `Service-Worker-Allowed: /` with it, or to serve it from the root), else with its
 * own folder. A page already controlled by the site's own worker is used only when that worker streams torrents
 * (it imports WebTorrent's worker code); it is never replaced. Rejects with an Error saying why when there is no way.
 */
export function streamingWorker(workerUrl: string): Promise<ServiceWorkerRegistration> {
  const worker = workers.get(workerUrl) ?? start(workerUrl);
  worker.used = true;
  return worker.ready;
}

/**
 * Starts making the worker ready before it is known to be needed (an element was given a progressive file, which
 * may have a torrent): a first visit's install then overlaps the player's set-up and the origin's answer instead of
 * following them. If the file turns out to have no torrent, `releaseStreamingWorker` undoes it.
 */
export function prepareStreamingWorker(workerUrl: string): void {
  if (!('serviceWorker' in navigator) || !window.isSecureContext || workers.has(workerUrl)) return;
  start(workerUrl).ready.catch(() => undefined);
}

/**
 * A worker prepared for a file that has no torrent: unregistered again if this page registered it and nothing on
 * the page uses it, so a site whose files have no torrents gets no service worker from the player.
 */
export function releaseStreamingWorker(workerUrl: string): void {
  const worker = workers.get(workerUrl);
  if (!worker || worker.used) return;
  workers.delete(workerUrl);
  if (!worker.registeredHere) return;
  const unregister = async (): Promise<void> => {
    const registration = await navigator.serviceWorker.getRegistration(location.href);
    const script = (registration?.active ?? registration?.waiting ?? registration?.installing)?.scriptURL;
    // Taken up again meanwhile (another element of this page found a torrent): kept.
    if (registration && script === workerUrl && !workers.has(workerUrl)) await registration.unregister();
  };
  void worker.ready.then(unregister, unregister).catch(() => undefined);
}

function start(workerUrl: string): PageWorker {
  const worker = { used: false, registeredHere: false } as PageWorker;
  worker.ready = ready(workerUrl, worker);
  workers.set(workerUrl, worker);
  // A worker that could not be made ready is tried again by the next element that needs it.
  worker.ready.catch(() => {
    if (workers.get(workerUrl) === worker) workers.delete(workerUrl);
  });
  return worker;
}

async function ready(workerUrl: string, worker: Pick<PageWorker, 'registeredHere'>): Promise<ServiceWorkerRegistration> {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) {
    throw new Error('this page cannot use service workers (they need https)');
  }
  const container = navigator.serviceWorker;
  // Messages from the worker queue up until this (or until the document has loaded).
  container.startMessages();
  const existing = await container.getRegistration(location.href);
  const script = (existing?.active ?? existing?.waiting ?? existing?.installing)?.scriptURL;
  let registration: ServiceWorkerRegistration;
  if (existing && script && script !== workerUrl) {
    if (!(await streamsTorrents(existing.scope))) {
      throw new Error(`this page's service worker (${script}) does not stream torrents`);
    }
    registration = existing;
  } else if (existing) {
    registration = existing;
  } else {
    worker.registeredHere = true;
    registration = await register(workerUrl);
  }
  if (!location.href.startsWith(registration.scope)) {
    throw new Error(`${workerUrl} can serve only pages under ${registration.scope}: serve it with "Service-Worker-Allowed: /", or from the site's root`);
  }
  await activated(registration);
  await controlled();
  return registration;
}

/**
 * Wakes this page's streaming worker, if it already controls the page (a returning viewer): a stopped worker takes
 * a while to start, and the media element's first request would wait for it. Returns whether it does.
 */
export function wakeStreamingWorker(workerUrl: string): boolean {
  const container = 'serviceWorker' in navigator ? navigator.serviceWorker : undefined;
  if (container?.controller?.scriptURL !== workerUrl) return false;
  void container
    .getRegistration(location.href)
    .then((registration) => {
      if (registration?.active?.scriptURL === workerUrl) return fetch(`${registration.scope}webtorrent/keepalive/`, { cache: 'no-store' });
    })
    .catch(() => undefined);
  return true;
}

async function register(workerUrl: string): Promise<ServiceWorkerRegistration> {
  try {
    return await navigator.serviceWorker.register(workerUrl, { scope: '/' });
  } catch (error) {
    // No Service-Worker-Allowed header: its own folder is the widest scope it may have, of use only to pages in it.
    const folder = new URL('./', workerUrl).href;
    if (!location.href.startsWith(folder)) {
      throw new Error(`${workerUrl} can serve only pages under ${folder}: serve it with "Service-Worker-Allowed: /", or from the site's root (${(error as Error).message})`);
    }
    try {
      return await navigator.serviceWorker.register(workerUrl);
    } catch (again) {
      throw new Error(`${workerUrl} could not be registered: ${(again as Error).message}`);
    }
  }
}

async function activated(registration: ServiceWorkerRegistration): Promise<void> {
  if (registration.active?.state === 'activated') return;
  const worker = registration.installing ?? registration.waiting ?? registration.active;
  if (!worker) throw new Error('the service worker went away while installing');
  await within(
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (worker.state === 'activated') resolve();
        else if (worker.state === 'redundant') reject(new Error('the service worker failed to install'));
      };
      worker.addEventListener('statechange', check);
      check();
    }),
    'the service worker did not activate',
  );
}

async function controlled(): Promise<void> {
  const container = navigator.serviceWorker;
  if (container.controller) return;
  await within(
    new Promise<void>((resolve) => container.addEventListener('controllerchange', () => resolve(), { once: true })),
    'the service worker did not take control of the page',
  );
}

/** Whether a worker answers WebTorrent's keep-alive URL itself (an empty 200), as WebTorrent's worker code does. */
async function streamsTorrents(scope: string): Promise<boolean> {
  try {
    const response = await fetch(`${scope}webtorrent/keepalive/`, { cache: 'no-store' });
    return response.ok && (await response.text()) === '';
  } catch {
    return false;
  }
}

function within<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ACTIVATE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
