export { P2PVideoElement, type P2PVideoEventMap } from './element/p2p-video-element.ts';
export { ErrorCodes, P2PEvents, type ErrorCode } from './element/constants.ts';
export { P2PError, type P2PErrorDetail } from './element/errors.ts';
export type { P2PStats } from './engine/stats.ts';
export type { P2PDetails, RenditionDetails } from './element/p2p-details.ts';
export type { TrafficSample } from './element/traffic-history.ts';
export type { EngineDetails, PeerDetails, SwarmDetails, TrackerStatus } from './engine/details.ts';
export { PluginNames, type P2PDetailsSource, type P2PPluginOptions } from './element/plugins.ts';
export { define } from './element/define.ts';
