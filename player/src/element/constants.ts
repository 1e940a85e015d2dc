/** DOM event names the element dispatches (DESIGN.md). Kept in one place so listeners and tests agree. */
export const P2PEvents = {
  STATS: 'p2pstats',
  PEER_CONNECT: 'p2ppeerconnect',
  PEER_CLOSE: 'p2ppeerclose',
  SEGMENT_REJECTED: 'p2psegmentrejected',
  ERROR: 'p2perror',
} as const;

/** Events of the inner <video> that the element re-dispatches on itself (media events do not bubble). */
export const MEDIA_EVENTS = [
  'loadstart',
  'loadedmetadata',
  'loadeddata',
  'canplay',
  'canplaythrough',
  'durationchange',
  'play',
  'pause',
  'playing',
  'waiting',
  'seeking',
  'seeked',
  'timeupdate',
  'progress',
  'ratechange',
  'volumechange',
  'ended',
  'emptied',
  'stalled',
] as const;

/** Stable error codes carried by `p2perror`. */
export const ErrorCodes = {
  /** The playlist (or one of its media playlists) answered 404 or 410. */
  SRC_NOT_FOUND: 'ERR_SRC_NOT_FOUND',
  /** The origin could not be reached, timed out, or answered an HTTP error. */
  NETWORK: 'ERR_NETWORK',
  /** The playlist is not a valid HLS playlist, or lists nothing playable. */
  PLAYLIST_MALFORMED: 'ERR_PLAYLIST_MALFORMED',
  /** A segment's bytes are not media that can be demuxed or decoded. */
  SEGMENT_NOT_MEDIA: 'ERR_SEGMENT_NOT_MEDIA',
  /** The browser cannot decode the stream's codecs. */
  CODEC_UNSUPPORTED: 'ERR_CODEC_UNSUPPORTED',
  /** Neither Media Source Extensions nor native HLS is available. */
  HLS_UNSUPPORTED: 'ERR_HLS_UNSUPPORTED',
  /** Decoding failed and could not be recovered. */
  MEDIA: 'ERR_MEDIA',
  /** A live playlist stopped advancing (without #EXT-X-ENDLIST) and the buffer ran out: a warning, loading stops. */
  LIVE_STALLED: 'ERR_LIVE_STALLED',
  UNKNOWN: 'ERR_UNKNOWN',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];
