/** Counters of media segment bytes (not playlists) since the current `src` was set. DESIGN.md fixes the shape. */
export interface P2PStats {
  httpBytes: number;
  p2pBytes: number;
  uploadBytes: number;
  peers: number;
  segmentsFromPeers: number;
  segmentsFromHttp: number;
  rejectedSegments: number;
  bannedPeers: number;
}

export function emptyStats(): P2PStats {
  return {
    httpBytes: 0,
    p2pBytes: 0,
    uploadBytes: 0,
    peers: 0,
    segmentsFromPeers: 0,
    segmentsFromHttp: 0,
    rejectedSegments: 0,
    bannedPeers: 0,
  };
}
