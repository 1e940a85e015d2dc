const ACTIVATE_TIMEOUT_MS = 5000;

/**
 * The service worker that streams torrents to this page's media elements, registered if need be, once it controls
 * the page. A worker serves only the pages inside its scope, so `p2p-video-sw.js` is registered with scope `/`
 * (which needs the site to send `Service-Worker-Allowed: /` with it, or to serve it from the root), else with its
 * own folder. A page already controlled by the site's own worker is used only when that worker streams torrents
 * (it imports WebTorrent's worker code); it is never replaced. Throws an Error saying why when there is no way.
 */
export async function streamingWorker(workerUrl: string): Promise<ServiceWorkerRegistration> {
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
  } else {
    registration = existing ?? (await register(workerUrl));
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
