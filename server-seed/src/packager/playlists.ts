/** One media segment as a playlist lists it. */
export interface PlaylistSegment {
  uri: string;
  seconds: number;
  bytes: number;
}

export interface Variant {
  uri: string;
  /** Peak and average bits per second of everything a viewer of this variant loads (video and its audio). */
  bandwidth: number;
  averageBandwidth: number;
  codecs: readonly string[];
  resolution?: { width: number; height: number };
  frameRate?: number;
  /** GROUP-ID of the audio renditions played with this variant. */
  audio?: string;
}

export interface AudioRendition {
  groupId: string;
  name: string;
  language?: string;
  channels?: number;
  uri: string;
}

export interface MultivariantPlaylist {
  variants: readonly Variant[];
  audio?: AudioRendition;
  /** URI of the swarm metadata, announced with EXT-X-SESSION-DATA. */
  swarmUri: string;
  swarmDataId: string;
}

/** A VOD media playlist of fMP4 segments sharing one initialisation segment. */
export function mediaPlaylist(segments: readonly PlaylistSegment[], initUri = 'init.mp4'): string {
  const target = Math.max(1, ...segments.map((segment) => Math.ceil(segment.seconds)));
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-MAP:URI="${initUri}"`,
  ];
  for (const segment of segments) lines.push(`#EXTINF:${segment.seconds.toFixed(6)},`, segment.uri);
  lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

export function multivariantPlaylist(playlist: MultivariantPlaylist): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    '#EXT-X-INDEPENDENT-SEGMENTS',
    `#EXT-X-SESSION-DATA:DATA-ID="${playlist.swarmDataId}",URI="${playlist.swarmUri}"`,
  ];
  const { audio } = playlist;
  if (audio) {
    const attributes = [
      'TYPE=AUDIO',
      `GROUP-ID="${audio.groupId}"`,
      `NAME="${audio.name}"`,
      ...(audio.language ? [`LANGUAGE="${audio.language}"`] : []),
      'DEFAULT=YES',
      'AUTOSELECT=YES',
      ...(audio.channels ? [`CHANNELS="${audio.channels}"`] : []),
      `URI="${audio.uri}"`,
    ];
    lines.push(`#EXT-X-MEDIA:${attributes.join(',')}`);
  }
  for (const variant of playlist.variants) {
    const attributes = [
      `BANDWIDTH=${Math.ceil(variant.bandwidth)}`,
      `AVERAGE-BANDWIDTH=${Math.ceil(variant.averageBandwidth)}`,
      `CODECS="${variant.codecs.join(',')}"`,
      ...(variant.resolution ? [`RESOLUTION=${variant.resolution.width}x${variant.resolution.height}`] : []),
      ...(variant.frameRate ? [`FRAME-RATE=${variant.frameRate.toFixed(3)}`] : []),
      ...(variant.audio ? [`AUDIO="${variant.audio}"`] : []),
    ];
    lines.push(`#EXT-X-STREAM-INF:${attributes.join(',')}`, variant.uri);
  }
  return `${lines.join('\n')}\n`;
}

/** Peak segment bit rate and average bit rate, in bits per second, from the real segment sizes. */
export function bitrates(segments: readonly PlaylistSegment[]): { peak: number; average: number } {
  let bytes = 0;
  let seconds = 0;
  let peak = 0;
  for (const segment of segments) {
    bytes += segment.bytes;
    seconds += segment.seconds;
    if (segment.seconds > 0) peak = Math.max(peak, (segment.bytes * 8) / segment.seconds);
  }
  return { peak, average: seconds > 0 ? (bytes * 8) / seconds : 0 };
}
