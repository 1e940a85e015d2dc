import { ErrorCodes, type ErrorCode } from './constants.ts';

export interface P2PErrorDetail {
  code: ErrorCode;
  message: string;
  fatal: boolean;
}

/** An error with a stable code and a fatal flag, as carried by the `p2perror` event. */
export class P2PError extends Error implements P2PErrorDetail {
  readonly code: ErrorCode;
  readonly fatal: boolean;

  constructor(code: ErrorCode, message: string, fatal: boolean) {
    super(message);
    this.name = 'P2PError';
    this.code = code;
    this.fatal = fatal;
  }

  toDetail(): P2PErrorDetail {
    return { code: this.code, message: this.message, fatal: this.fatal };
  }
}

/** The part of hls.js' ErrorData we read; hls.js' enums are compared by their string values. */
export interface HlsErrorLike {
  type: string;
  details: string;
  fatal: boolean;
  url?: string;
  reason?: string;
  response?: { code?: number; text?: string };
  networkDetails?: unknown;
  frag?: { url?: string };
  context?: { url?: string };
  error?: Error;
}

/** Turns an hls.js error into a code and a sentence a viewer (or the site's engineer) understands. */
export function describeHlsError(data: HlsErrorLike): P2PError {
  const status = data.response?.code;
  const url = data.url ?? data.context?.url ?? data.frag?.url;
  const where = url ? ` (${shortUrl(url)})` : '';
  const d = data.details;

  if (d === 'manifestLoadError' || d === 'levelLoadError' || d === 'audioTrackLoadError') {
    const what = d === 'manifestLoadError' ? 'The video playlist' : 'A playlist of this video';
    if (status === 404 || status === 410) {
      return new P2PError(ErrorCodes.SRC_NOT_FOUND, `${what} was not found${where}.`, data.fatal);
    }
    const failure = status ? `could not be loaded (HTTP ${status})` : 'could not be loaded: the server could not be reached';
    return new P2PError(ErrorCodes.NETWORK, `${what} ${failure}${where}.`, data.fatal);
  }
  if (d === 'manifestLoadTimeOut' || d === 'levelLoadTimeOut' || d === 'audioTrackLoadTimeOut') {
    return new P2PError(ErrorCodes.NETWORK, `The video server did not answer in time${where}.`, data.fatal);
  }
  if (d === 'manifestParsingError' || d === 'levelParsingError' || d === 'levelEmptyError') {
    const reason = data.reason ?? data.error?.message;
    return new P2PError(
      ErrorCodes.PLAYLIST_MALFORMED,
      `The video playlist is not a valid HLS playlist${reason ? `: ${reason}` : ''}${where}.`,
      data.fatal,
    );
  }
  if (d === 'manifestIncompatibleCodecsError' || d === 'bufferAddCodecError' || d === 'bufferIncompatibleCodecsError') {
    return new P2PError(ErrorCodes.CODEC_UNSUPPORTED, 'This browser cannot play the video format of this stream.', data.fatal);
  }
  if (d === 'fragLoadError' || d === 'fragLoadTimeOut') {
    const missing = status === 404 || status === 410;
    return new P2PError(
      missing ? ErrorCodes.SRC_NOT_FOUND : ErrorCodes.NETWORK,
      `A part of the video ${missing ? 'was not found' : `could not be loaded${httpStatus(status)}`}${where}.`,
      data.fatal,
    );
  }
  if (d === 'fragParsingError' || d === 'bufferAppendError' || d === 'bufferAppendingError' || d === 'remuxAllocError') {
    return new P2PError(ErrorCodes.SEGMENT_NOT_MEDIA, `A part of the video is damaged or is not video data${where}.`, data.fatal);
  }
  if (data.type === 'mediaError') {
    return new P2PError(ErrorCodes.MEDIA, 'The video could not be decoded.', data.fatal);
  }
  if (data.type === 'networkError') {
    return new P2PError(ErrorCodes.NETWORK, `The video could not be loaded${httpStatus(status)}${where}.`, data.fatal);
  }
  const cause = data.error?.message ? `: ${data.error.message}` : '';
  return new P2PError(ErrorCodes.UNKNOWN, `Playback failed (${d}${cause}).`, data.fatal);
}

function httpStatus(status: number | undefined): string {
  return status ? ` (HTTP ${status})` : '';
}

function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname.split('/').slice(-2).join('/');
  } catch {
    return url;
  }
}
