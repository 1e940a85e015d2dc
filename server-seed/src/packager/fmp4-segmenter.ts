import { BoxParser, DataStream, ISOFile } from 'mp4box';
import type { Sample } from 'mp4box';

/** Boxes that describe samples one by one; in an initialisation segment there are no samples to describe. */
const PER_SAMPLE_BOXES = new Set(['stss', 'sdtp', 'sbgp', 'subs', 'stps', 'stdp', 'padb', 'saiz', 'saio']);

/**
 * One initialisation segment per track (ftyp + moov with that track alone and an mvex), made from the parsed
 * source with its sample tables emptied. The track keeps its edit list (`edts`), so a player that honours edit
 * lists shifts presentation exactly as it would for the source. Call once, after the sample lists were taken:
 * it empties the tables of the parsed file.
 */
export function buildInitSegments(iso: ISOFile, trackIds: readonly number[]): Map<number, Uint8Array> {
  const movieDuration = iso.moov.mvhd.duration;
  iso.resetTables();
  const inits = new Map<number, Uint8Array>();
  for (const id of trackIds) {
    const trak = iso.getTrackById(id);
    const stbl = trak.mdia.minf.stbl;
    stbl.boxes = (stbl.boxes ?? []).filter((box) => box !== undefined && !PER_SAMPLE_BOXES.has(box.type));
    const ftyp = new BoxParser.box.ftyp();
    ftyp.major_brand = 'iso6';
    ftyp.minor_version = 0;
    ftyp.compatible_brands = ['iso6', 'mp41'];
    const moov = new BoxParser.box.moov();
    moov.addBox(iso.moov.mvhd);
    moov.addBox(trak);
    // QuickTime files keep the AAC decoder config inside a `wave` box; browsers want it in the sample entry.
    const normalize = new Set([id]);
    inits.set(id, new Uint8Array(ISOFile.writeInitializationSegment(ftyp, moov, movieDuration, normalize)));
  }
  return inits;
}

/**
 * The head of one media segment: a moof (mfhd with `sequence`, traf with tfhd, tfdt and one trun) and the header
 * of the mdat that follows it, whose `payloadBytes` are the samples' bytes in order. The samples' bytes are not
 * needed: they go from the buffers they were read into straight to the file.
 */
export function mediaSegmentHeader(iso: ISOFile, samples: readonly Sample[], sequence: number, payloadBytes: number): Uint8Array {
  // createMoof numbers fragments from this counter; per-track numbering keeps each rendition's run 1, 2, 3, ….
  iso.nextMoofNumber = sequence - 1;
  const moof = iso.createMoof([...samples]);
  const trun = moof.trafs[0].truns[0];
  // Negative composition offsets (ctts version 1 sources) need the signed form of trun.
  if (trun.sample_composition_time_offset.some((offset) => offset < 0)) trun.version = 1;
  const stream = new DataStream();
  moof.write(stream);
  const mdatHeader = 8;
  if (mdatHeader + payloadBytes > 0xffffffff) throw new Error('a media segment above 4 GiB');
  trun.data_offset = moof.size + mdatHeader;
  stream.adjustUint32(trun.data_offset_position, trun.data_offset);
  const header = new Uint8Array(moof.size + mdatHeader);
  header.set(new Uint8Array(stream.buffer, 0, moof.size), 0);
  new DataView(header.buffer).setUint32(moof.size, mdatHeader + payloadBytes);
  header.set([0x6d, 0x64, 0x61, 0x74], moof.size + 4); // "mdat"
  return header;
}
