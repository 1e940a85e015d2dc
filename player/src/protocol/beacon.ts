/**
 * A viewer's report to the site's `/beacon` (its download counts): this viewing session's totals so far. The site
 * stores differences from the session's previous beacon, so a lost one costs nothing and a repeated one adds nothing.
 */
export interface BeaconBody {
  v: 1;
  /** Random per source load; nothing that identifies the viewer. */
  session: string;
  event: 'start' | 'progress' | 'end';
  /** The stream's playlist URL, absolute (the site maps it to a title). */
  src: string;
  /** The rendition playing, as a path relative to the multivariant playlist. */
  rendition?: string;
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  /** Seconds of media played (seeks and stalls excluded). */
  watchSeconds: number;
  played: boolean;
}
