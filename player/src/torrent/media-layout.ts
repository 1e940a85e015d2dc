/** A byte range of a file, both ends inclusive. */
export interface ByteRange {
  start: number;
  end: number;
}

const FTYP = 0x66747970;
const MOOV = 0x6d6f6f76;

/**
 * Where an MP4's `moov` box (its index, which the browser needs before the first frame) is, judged from the first
 * bytes of the file: the box itself when it is within them, else everything after the last top-level box that
 * starts within them (an MP4 written without faststart keeps `moov` after `mdat`, at the end). Undefined for
 * anything that does not start with an `ftyp` box, or when the bytes end inside a box header.
 */
export function moovRange(head: Uint8Array, fileLength: number): ByteRange | undefined {
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (head.byteLength < 8 || view.getUint32(4) !== FTYP) return undefined;
  let offset = 0;
  while (offset < head.byteLength && offset < fileLength) {
    // A box header cut off by the end of what was read: where the index is cannot be told.
    if (offset + 8 > head.byteLength) return undefined;
    let size = view.getUint32(offset);
    const type = view.getUint32(offset + 4);
    if (size === 1) {
      if (offset + 16 > head.byteLength) return undefined;
      size = Number(view.getBigUint64(offset + 8));
    } else if (size === 0) {
      size = fileLength - offset;
    }
    if (size < 8) return undefined;
    if (type === MOOV) return { start: offset, end: Math.min(fileLength, offset + size) - 1 };
    offset += size;
  }
  return offset < fileLength ? { start: offset, end: fileLength - 1 } : undefined;
}
