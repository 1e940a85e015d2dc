/**
 * A snapshot of the engine for people to read (the stats panel, a console): plain objects, fresh on every call,
 * so a caller can keep them without seeing them change and reaches nothing inside the engine.
 */
export interface EngineDetails {
  /** The stream's swarm id, once the swarm settings are known. */
  swarmId: string | undefined;
  /** Our own peer id, hex. */
  peerId: string;
  /** One entry per rendition swarm joined. */
  swarms: SwarmDetails[];
  /** Connected peers (those that said hello), one row per peer and swarm. */
  peers: PeerDetails[];
}

export interface SwarmDetails {
  /** The rendition: its playlist's path relative to the multivariant playlist (as in `p2ppeerconnect`). */
  key: string;
  /** The tracker's name for the swarm, hex. */
  infoHash: string;
  /** Connected peers in this swarm. */
  peers: number;
  trackers: TrackerStatus[];
}

export interface TrackerStatus {
  url: string;
  /** `failed`: cannot connect (retrying), refused this swarm, or not a usable URL. */
  status: 'connected' | 'connecting' | 'failed';
  /** Why it failed, while it does. */
  error?: string;
}

export interface PeerDetails {
  /** The peer's id, hex (40 characters; the last 8 tell peers apart on screen). */
  id: string;
  /** The rendition swarm this row is about (a peer may share several renditions with us). */
  swarm: string;
  /** Bytes received from this peer (chunks of segments, whether or not the segment was kept). */
  downloadedBytes: number;
  /** Bytes sent to this peer. */
  uploadedBytes: number;
  /** Bytes per second received from it over the last few seconds. */
  downloadRate: number;
  /** Bytes per second sent to it over the last few seconds. */
  uploadRate: number;
  /** Segments from this peer dropped because they failed the hash check. */
  rejectedSegments: number;
  /** The peer announced itself as a server seeder. */
  seeder: boolean;
  /** False for a download-only peer. */
  uploads: boolean;
}
