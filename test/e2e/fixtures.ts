import { test as base, expect, type Page } from '@playwright/test';

export interface LoggedEvent {
  type: string;
  detail?: unknown;
  time: number;
}

/** Events of `<p2p-video>` the tests watch, recorded in the page from the moment the element exists. */
export const WATCHED = ['playing', 'waiting', 'seeked', 'ended', 'error', 'p2perror', 'p2pstats'] as const;

interface Fixtures {
  origin: string;
  /** Uncaught exceptions and unhandled rejections in the page; every test ends by asserting there were none. */
  pageErrors: string[];
}

export const test = base.extend<Fixtures>({
  origin: async ({}, use) => {
    const origin = process.env.P2P_TEST_ORIGIN;
    if (!origin) throw new Error('P2P_TEST_ORIGIN is not set: run through the Playwright config (global setup)');
    await use(origin);
  },
  pageErrors: [
    async ({ page }, use, testInfo) => {
      const errors: string[] = [];
      const consoleLines: string[] = [];
      page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
      page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
      await use(errors);
      if (testInfo.status !== testInfo.expectedStatus && consoleLines.length > 0) {
        await testInfo.attach('console.log', { body: consoleLines.join('\n'), contentType: 'text/plain' });
      }
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Opens the bare harness page and adds one `<p2p-video>` with these attributes, recording its events. */
export async function mount(page: Page, origin: string, attributes: Record<string, string | true>): Promise<void> {
  // A swarm of its own, so players of tests running in parallel never trade segments with each other.
  attributes = { 'swarm-id': `test:${test.info().testId}`, ...attributes };
  await page.goto(`${origin}/harness.html`);
  await page.evaluate(
    ({ attributes, watched }) => {
      const el = document.createElement('p2p-video');
      el.id = 'player';
      const log: { type: string; detail?: unknown; time: number }[] = [];
      (window as unknown as { __events: typeof log }).__events = log;
      for (const type of watched) {
        el.addEventListener(type, (event) => {
          const detail = (event as CustomEvent).detail;
          log.push({ type, detail: detail === undefined ? undefined : JSON.parse(JSON.stringify(detail)), time: performance.now() });
        });
      }
      for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value === true ? '' : value);
      document.body.append(el);
    },
    { attributes, watched: [...WATCHED] },
  );
  await page.waitForFunction(() => customElements.get('p2p-video') !== undefined);
}

export async function events(page: Page, type?: string): Promise<LoggedEvent[]> {
  const log = await page.evaluate(() => (window as unknown as { __events: LoggedEvent[] }).__events);
  return type ? log.filter((e) => e.type === type) : log;
}

/** Waits until the element has fired `type` at least `count` times. */
export async function waitForEvent(page: Page, type: string, count = 1): Promise<void> {
  await page.waitForFunction(
    ({ type, count }) => (window as unknown as { __events: LoggedEvent[] }).__events.filter((e) => e.type === type).length >= count,
    { type, count },
  );
}

export async function currentTime(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelector('p2p-video')!.media!.currentTime);
}

/** Waits until playback has advanced `seconds` past where it is now. */
export async function waitForProgress(page: Page, seconds: number): Promise<number> {
  const start = await currentTime(page);
  await page.waitForFunction(
    ({ start, seconds }) => document.querySelector('p2p-video')!.media!.currentTime >= start + seconds,
    { start, seconds },
  );
  return currentTime(page);
}
