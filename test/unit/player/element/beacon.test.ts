import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { emptyStats, type P2PStats } from '../../../../player/src/engine/stats.ts';
import { BeaconReporter, beaconFromAttribute, type BeaconBody } from '../../../../player/src/element/beacon.ts';

class FakeMedia extends EventTarget {
  currentTime = 0;
  playbackRate = 1;
  play(to: number): void {
    // timeupdate about every 250 ms, as browsers fire it
    while (this.currentTime < to - 1e-9) {
      this.currentTime = Math.min(to, this.currentTime + 0.25);
      this.dispatchEvent(new Event('timeupdate'));
    }
  }
}

describe('BeaconReporter', () => {
  let media: FakeMedia;
  let page: EventTarget & { visibilityState: string };
  let sent: { url: string; body: BeaconBody }[];
  let stats: P2PStats;
  let reporter: BeaconReporter;

  beforeEach(() => {
    vi.useFakeTimers();
    page = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('document', page);
    vi.stubGlobal('window', new EventTarget());
    media = new FakeMedia();
    sent = [];
    stats = emptyStats();
    reporter = new BeaconReporter({
      src: 'http://site.test/film/master.m3u8',
      media: media as unknown as HTMLMediaElement,
      stats: () => ({ ...stats }),
      rendition: () => '360p/index.m3u8',
      send: (url, body) => (sent.push({ url, body: JSON.parse(body) as BeaconBody }), true),
    });
  });
  afterEach(() => {
    reporter.close();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it('says nothing before playback, then start at the first playing, progress every 30 s, end when hidden', () => {
    reporter.setUrl('http://site.test/beacon');
    expect(sent).toEqual([]);
    media.dispatchEvent(new Event('playing'));
    expect(sent.map((s) => s.body.event)).toEqual(['start']);
    expect(sent[0]).toMatchObject({
      url: 'http://site.test/beacon',
      body: { v: 1, src: 'http://site.test/film/master.m3u8', rendition: '360p/index.m3u8', played: true, watchSeconds: 0 },
    });
    expect(sent[0].body.session).toMatch(/^[A-Za-z0-9_-]{22}$/);
    stats = { ...stats, httpBytes: 1000, p2pBytes: 3000, uploadBytes: 500 };
    media.play(30);
    vi.advanceTimersByTime(30_000);
    expect(sent.map((s) => s.body.event)).toEqual(['start', 'progress']);
    expect(sent[1].body).toMatchObject({ httpBytes: 1000, p2pBytes: 3000, uploadBytes: 500, watchSeconds: 30 });
    page.visibilityState = 'hidden';
    page.dispatchEvent(new Event('visibilitychange'));
    expect(sent.map((s) => s.body.event)).toEqual(['start', 'progress', 'end']);
    // One session, one id.
    expect(new Set(sent.map((s) => s.body.session)).size).toBe(1);
  });

  it('counts seconds played, not seeks; stops the 30 s beacons while paused', () => {
    reporter.setUrl('http://site.test/beacon');
    media.dispatchEvent(new Event('playing'));
    media.play(10);
    media.dispatchEvent(new Event('seeking'));
    media.currentTime = 100;
    media.dispatchEvent(new Event('timeupdate'));
    media.play(105);
    media.dispatchEvent(new Event('pause'));
    expect(sent.at(-1)?.body).toMatchObject({ event: 'progress', watchSeconds: 15 });
    const count = sent.length;
    vi.advanceTimersByTime(120_000);
    expect(sent.length).toBe(count);
  });

  it('waits for the beacon URL, sends nothing without one, and a closed session is silent', () => {
    media.dispatchEvent(new Event('playing'));
    vi.advanceTimersByTime(60_000);
    expect(sent).toEqual([]);
    reporter.setUrl('http://site.test/beacon');
    expect(sent.map((s) => s.body.event)).toEqual(['start']);
    reporter.close();
    expect(sent.map((s) => s.body.event)).toEqual(['start', 'end']);
    media.dispatchEvent(new Event('playing'));
    vi.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(2);
  });

  it('never reports a session that did not play', () => {
    reporter.setUrl('http://site.test/beacon');
    page.visibilityState = 'hidden';
    page.dispatchEvent(new Event('visibilitychange'));
    reporter.close();
    expect(sent).toEqual([]);
  });
});

describe('beaconFromAttribute', () => {
  it('takes a URL, turns beacons off with off or empty, and defers to the stream without the attribute', () => {
    expect(beaconFromAttribute(null, 'http://a.test/x/')).toBeNull();
    expect(beaconFromAttribute('/count', 'http://a.test/x/')).toBe('http://a.test/count');
    expect(beaconFromAttribute('off', 'http://a.test/')).toBeUndefined();
    expect(beaconFromAttribute('', 'http://a.test/')).toBeUndefined();
    expect(beaconFromAttribute('javascript:alert(1)', 'http://a.test/')).toBeUndefined();
  });
});
