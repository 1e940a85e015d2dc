export { decode, encode } from './codec.ts';
export { ProtocolError, ProtocolErrorCodes, type ProtocolErrorCode } from './errors.ts';
export {
  DATA_HEADER_BYTES,
  MAX_CHUNK_BYTES,
  MAX_HAVE_IDS,
  MAX_MESSAGE_BYTES,
  MAX_REQUESTS_IN_FLIGHT,
  MAX_SEGMENT_BYTES,
  PROTOCOL_VERSION,
  SWARM_ID_BYTES,
  chunkSegment,
  splitHave,
} from './messages.ts';
export type {
  AbsentMessage,
  CancelMessage,
  DataMessage,
  HaveMessage,
  HelloMessage,
  Message,
  MessageType,
  RequestMessage,
} from './messages.ts';
export type { BeaconBody } from './beacon.ts';
