import { describe, expect, it } from 'vitest';
import { SegmentStore } from '../../../../player/src/engine/segment-store.ts';

const seg = (sn: number, bytes = 100, swarm = 'r') => ({ swarm, sn, start: sn * 4, duration: 4, bytes: new Uint8Array(bytes) });

describe('SegmentStore', () => {
  it('stores, announces and reports what it holds per swarm', () => {
    const store = new SegmentStore({ playhead: () => 0 });
    const added: number[] = [];
    store.on('added', (s) => added.push(s.sn));
    store.put(seg(1));
    store.put(seg(2, 100, 'other'));
    store.put(seg(1));
    expect(added).toEqual([1, 2]);
    expect(store.held('r')).toEqual([1]);
    expect(store.size).toBe(200);
  });

  it('evicts what is furthest from the playhead, behind before ahead, to stay under the cap', () => {
    let playhead = 20; // sn 5
    const store = new SegmentStore({ maxBytes: 400, playhead: () => playhead });
    const removed: number[] = [];
    store.on('removed', (k) => removed.push(k.sn));
    for (const sn of [1, 4, 5, 8]) store.put(seg(sn));
    store.put(seg(6));
    // sn 1 ends 16 s behind (weighted 32), sn 8 starts 12 s ahead: 1 goes first.
    expect(removed).toEqual([1]);
    playhead = 0;
    store.put(seg(0));
    expect(removed).toEqual([1, 8]);
    expect(store.size).toBeLessThanOrEqual(400);
  });

  it('refuses a segment larger than the whole cap', () => {
    const store = new SegmentStore({ maxBytes: 50, playhead: () => 0 });
    expect(store.put(seg(1, 100))).toBe(false);
    expect(store.count).toBe(0);
  });
});
