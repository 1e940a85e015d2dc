/**
 * What a viewer of a live stream keeps and offers: the playlist's sliding window, a few segments behind it for
 * viewers just behind, and nothing long behind its own playhead. Pure: the engine applies the verdicts.
 */

/** Segments kept below the first one the live playlist still lists. */
export const LIVE_WINDOW_MARGIN = 3;
/** A live segment that ended this long behind the playhead is no longer kept, seconds. */
export const LIVE_BEHIND_SECONDS = 60;

export interface LiveSegmentView {
  sn: number;
  /** Start on the stream's timeline, seconds. */
  start: number;
  duration: number;
}

/** Whether a segment of a live rendition is too old to keep or offer, given its playlist's first sn. */
export function isStaleLive(segment: LiveSegmentView, startSN: number, playhead: number): boolean {
  if (segment.sn < startSN - LIVE_WINDOW_MARGIN) return true;
  return segment.start + segment.duration < playhead - LIVE_BEHIND_SECONDS;
}
