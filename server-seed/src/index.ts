export { startServer } from './server.ts';
export type { RunningServer, ServerOptions } from './server.ts';
export { scanCollection } from './collection.ts';
export type { Collection, Rendition, ScanOptions, Title } from './collection.ts';
export { OriginCounter, type OriginCounts } from './origin-counter.ts';
export { SiteCounts, type CountsReport, type CountTotals } from './counts/site-counts.ts';
export { SqliteCountsStore, type CountsStore, type BeaconRecord, type ServerBytes, type CountsSnapshot } from './counts/store.ts';
export type { TorrentEntry, TorrentIndex } from './torrent/torrent-index.ts';
export type { TorrentSeeder, TorrentSeederStats } from './torrent/torrent-seeder.ts';
