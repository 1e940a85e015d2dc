/**
 * What a peer got wrong, as a stable code. The engine treats any of them as a misbehaving (or incompatible) peer,
 * so the codes exist for logs and tests, not for recovery.
 */
export const ProtocolErrorCodes = {
  /** The first byte is not a version this code speaks; no negotiation, the peer is incompatible. */
  VERSION: 'ERR_PROTOCOL_VERSION',
  /** The type byte names no message of this version. */
  TYPE: 'ERR_PROTOCOL_TYPE',
  /** The byte length does not fit the layout: truncated, trailing bytes, empty chunk, over MAX_MESSAGE_BYTES. */
  LENGTH: 'ERR_PROTOCOL_LENGTH',
  /** A field is well formed but out of its range: maxRequests, too many have ids, a chunk past `total`. */
  VALUE: 'ERR_PROTOCOL_VALUE',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCodes)[keyof typeof ProtocolErrorCodes];

/** Thrown by `decode` for bytes from a peer that are not a valid message; it never throws anything else for bytes. */
export class ProtocolError extends Error {
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}
