// The part of m3u8-parser's (untyped) API the collection scan reads.
declare module 'm3u8-parser' {
  export interface ManifestAttributes {
    BANDWIDTH?: number;
    RESOLUTION?: { width: number; height: number };
    CODECS?: string;
    [name: string]: unknown;
  }
  export interface ManifestPlaylist {
    uri: string;
    attributes: ManifestAttributes;
  }
  export interface ManifestSegment {
    uri: string;
    duration?: number;
    map?: { uri?: string };
    byterange?: { length: number; offset?: number };
    key?: { method?: string; uri?: string };
  }
  export interface ManifestMedia {
    uri?: string;
  }
  export interface Manifest {
    playlists?: ManifestPlaylist[];
    iFramePlaylists?: ManifestPlaylist[];
    mediaGroups?: Record<string, Record<string, Record<string, ManifestMedia>>>;
    segments?: ManifestSegment[];
    endList?: boolean;
    mediaSequence?: number;
    targetDuration?: number;
  }
  export class Parser {
    manifest: Manifest;
    push(chunk: string): void;
    end(): void;
  }
}
