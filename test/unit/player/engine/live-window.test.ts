import { describe, expect, it } from 'vitest';
import { isStaleLive, LIVE_BEHIND_SECONDS, LIVE_WINDOW_MARGIN } from '../../../../player/src/engine/live-window.ts';
import { UnverifiedCopies } from '../../../../player/src/engine/unverified-copies.ts';

const seg = (sn: number) => ({ sn, start: sn * 4, duration: 4 });

describe('isStaleLive', () => {
  it('keeps the window and a small margin before it, and drops what is older', () => {
    const startSN = 100;
    expect(isStaleLive(seg(startSN - LIVE_WINDOW_MARGIN), startSN, 400)).toBe(false);
    expect(isStaleLive(seg(startSN - LIVE_WINDOW_MARGIN - 1), startSN, 400)).toBe(true);
    expect(isStaleLive(seg(120), startSN, 400)).toBe(false);
  });

  it('drops a segment that ended long behind the playhead, even inside the window (a long DVR window)', () => {
    // sn 10 ends at 44 s.
    expect(isStaleLive(seg(10), 0, 44 + LIVE_BEHIND_SECONDS)).toBe(false);
    expect(isStaleLive(seg(10), 0, 44 + LIVE_BEHIND_SECONDS + 1)).toBe(true);
    // Ahead of the playhead is never too old.
    expect(isStaleLive(seg(10), 0, 0)).toBe(false);
  });
});

describe('UnverifiedCopies', () => {
  const copy = (sn: number, size = 10, swarm = 'r') => ({ swarm, sn, info: { sn }, bytes: new Uint8Array(size) });

  it('keeps the last few copies, oldest dropped first, one per segment', () => {
    const copies = new UnverifiedCopies<{ sn: number }>({ maxCount: 3 });
    for (const sn of [1, 2, 3, 4]) copies.add(copy(sn));
    copies.add(copy(3));
    expect(copies.list().map((c) => c.sn)).toEqual([2, 4, 3]);
  });

  it('stays within its byte limit and refuses a copy larger than all of it', () => {
    const copies = new UnverifiedCopies<{ sn: number }>({ maxCount: 10, maxBytes: 25 });
    copies.add(copy(1));
    copies.add(copy(2));
    copies.add(copy(3));
    expect(copies.list().map((c) => c.sn)).toEqual([2, 3]);
    copies.add(copy(4, 30));
    expect(copies.list().map((c) => c.sn)).toEqual([2, 3]);
  });

  it('prunes and removes', () => {
    const copies = new UnverifiedCopies<{ sn: number }>();
    for (const sn of [1, 2, 3]) copies.add(copy(sn, 10, sn === 2 ? 'other' : 'r'));
    copies.prune((c) => c.swarm === 'r' && c.sn < 2);
    const [first] = copies.list();
    expect(first.sn).toBe(2);
    copies.remove(first);
    expect(copies.list().map((c) => c.sn)).toEqual([3]);
    copies.clear();
    expect(copies.count).toBe(0);
  });
});
