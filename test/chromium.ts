import { existsSync } from 'node:fs';

/**
 * The browser the end-to-end tests and the benchmark drive: Debian's Chromium by default (Playwright cannot
 * download browsers on machines without internet), P2P_CHROMIUM for any other Chrome or Chromium; without
 * either, Playwright's own browser.
 */
export const chromiumExecutable: string | undefined =
  process.env.P2P_CHROMIUM ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

/** Flags that work on these machines (ENVIRONMENT notes): no background traffic, autoplay, real local IPs. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
