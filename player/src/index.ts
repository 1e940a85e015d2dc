export { P2PVideoElement, type P2PVideoEventMap } from './element/p2p-video-element.ts';
export { ErrorCodes, P2PEvents, type ErrorCode } from './element/constants.ts';
export { P2PError, type P2PErrorDetail } from './element/errors.ts';
export type { P2PStats } from './engine/stats.ts';
export { define } from './element/define.ts';
