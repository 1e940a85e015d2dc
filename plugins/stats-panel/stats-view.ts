import type { P2PDetails, PeerDetails } from '../../player/src/index.ts';
import { h, setAttr, setText } from '../shared/dom.ts';
import { formatBytes, formatRate, formatRendition, formatSeconds, shortPeerId } from '../shared/format.ts';

type Field = 'swarm-id' | 'peer-id' | 'mode' | 'rendition' | 'buffer' | 'bytes' | 'rejected';
const PEER_COLUMNS = ['peer', 'swarm', 'down', 'up', 'down-rate', 'up-rate', 'rejected'] as const;
type PeerColumn = (typeof PEER_COLUMNS)[number];

interface PeerRow {
  tr: HTMLTableRowElement;
  cells: Record<PeerColumn, HTMLTableCellElement>;
}

/**
 * "Stats for nerds": the swarm, the rendition and buffer, each tracker's status and a row per connected peer.
 * Rows are kept and only changed text is written, so a selection survives the once-a-second update.
 */
export class StatsView {
  private readonly doc: Document;
  private readonly fields: Record<Field, HTMLElement>;
  private readonly trackers: HTMLUListElement;
  private readonly caption: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly emptyRow: HTMLTableRowElement;
  private readonly rows = new Map<string, PeerRow>();

  constructor(panel: HTMLElement, onClose: () => void) {
    const doc = panel.ownerDocument;
    this.doc = doc;
    const close = h(doc, 'button', { type: 'button', class: 'vjs-p2p-stats-close', 'aria-label': 'Close statistics', title: 'Close' }, ['×']);
    close.addEventListener('click', onClose);
    const field = (name: Field) => h(doc, 'dd', { 'data-field': name }, ['–']);
    this.fields = {
      'swarm-id': field('swarm-id'),
      'peer-id': field('peer-id'),
      mode: field('mode'),
      rendition: field('rendition'),
      buffer: field('buffer'),
      bytes: field('bytes'),
      rejected: field('rejected'),
    };
    const row = (label: string, name: Field) => h(doc, 'div', {}, [h(doc, 'dt', {}, [label]), this.fields[name]]);
    this.trackers = h(doc, 'ul', { class: 'vjs-p2p-stats-trackers' });
    this.caption = h(doc, 'caption', {}, ['Peers']);
    const headings: Record<PeerColumn, string> = {
      peer: 'Peer',
      swarm: 'Swarm',
      down: 'Down',
      up: 'Up',
      'down-rate': 'Down/s',
      'up-rate': 'Up/s',
      rejected: 'Rejected',
    };
    this.emptyRow = h(doc, 'tr', { class: 'vjs-p2p-stats-empty' }, [h(doc, 'td', { colspan: String(PEER_COLUMNS.length) }, ['No peer connected'])]);
    this.tbody = h(doc, 'tbody', {}, [this.emptyRow]);
    panel.append(
      h(doc, 'div', { class: 'vjs-p2p-stats-head' }, [h(doc, 'p', { class: 'vjs-p2p-stats-title' }, ['Stats for nerds']), close]),
      h(doc, 'dl', { class: 'vjs-p2p-stats-summary' }, [
        row('Swarm', 'swarm-id'),
        row('You', 'peer-id'),
        row('P2P', 'mode'),
        row('Rendition', 'rendition'),
        row('Buffer ahead', 'buffer'),
        row('Bytes', 'bytes'),
        row('Rejected', 'rejected'),
      ]),
      h(doc, 'p', { class: 'vjs-p2p-stats-subtitle' }, ['Trackers']),
      this.trackers,
      h(doc, 'div', { class: 'vjs-p2p-stats-table' }, [
        h(doc, 'table', { class: 'vjs-p2p-stats-peers' }, [
          this.caption,
          h(doc, 'thead', {}, [h(doc, 'tr', {}, PEER_COLUMNS.map((c) => h(doc, 'th', { scope: 'col', 'data-column': c }, [headings[c]])))]),
          this.tbody,
        ]),
      ]),
    );
  }

  update(details: P2PDetails | undefined): void {
    const f = this.fields;
    const stats = details?.stats;
    setText(f['swarm-id'], details?.swarmId ?? '–');
    setText(f['peer-id'], details?.peerId ? shortPeerId(details.peerId) : '–');
    setText(f.mode, details ? (details.mode === 'off' ? 'off (origin only)' : details.mode) : '–');
    setText(f.rendition, formatRendition(details?.rendition));
    setText(f.buffer, formatSeconds(details?.bufferAhead ?? 0));
    setText(
      f.bytes,
      stats ? `${formatBytes(stats.p2pBytes)} from peers · ${formatBytes(stats.httpBytes)} from origin · ${formatBytes(stats.uploadBytes)} up` : '–',
    );
    setText(f.rejected, stats ? `${stats.rejectedSegments} segments · ${stats.bannedPeers} peers banned` : '–');
    this.updateTrackers(details);
    this.updatePeers(details?.peers ?? []);
  }

  private updateTrackers(details: P2PDetails | undefined): void {
    const lines: { text: string; status: string }[] = [];
    for (const swarm of details?.swarms ?? []) {
      for (const tracker of swarm.trackers) {
        const status = tracker.error ? `${tracker.status} (${tracker.error})` : tracker.status;
        lines.push({ text: `${swarm.key} · ${tracker.url} · ${status}`, status: tracker.status });
      }
    }
    if (lines.length === 0) lines.push({ text: details?.mode === 'off' ? 'none: P2P is off' : 'none yet', status: 'none' });
    const items = this.trackers.children;
    while (items.length > lines.length) items[items.length - 1].remove();
    lines.forEach((line, i) => {
      const li = (items[i] as HTMLLIElement | undefined) ?? this.trackers.appendChild(h(this.doc, 'li'));
      setText(li, line.text);
      setAttr(li, 'data-status', line.status);
    });
  }

  private updatePeers(peers: PeerDetails[]): void {
    // Viewers, not rows: a peer sharing two renditions with us has a row for each.
    setText(this.caption, `Peers (${new Set(peers.map((p) => p.id)).size})`);
    const seen = new Set<string>();
    const order: HTMLTableRowElement[] = [];
    for (const peer of [...peers].sort((a, b) => a.swarm.localeCompare(b.swarm) || a.id.localeCompare(b.id))) {
      const key = `${peer.swarm}\u0000${peer.id}`;
      seen.add(key);
      const row = this.rows.get(key) ?? this.addRow(key, peer);
      const c = row.cells;
      setText(c.peer, shortPeerId(peer.id) + (peer.seeder ? ' (seeder)' : ''));
      setText(c.swarm, peer.swarm);
      setText(c.down, formatBytes(peer.downloadedBytes));
      setText(c.up, formatBytes(peer.uploadedBytes));
      setText(c['down-rate'], formatRate(peer.downloadRate));
      setText(c['up-rate'], formatRate(peer.uploadRate));
      setText(c.rejected, String(peer.rejectedSegments));
      setAttr(row.tr, 'data-down', String(peer.downloadedBytes));
      setAttr(row.tr, 'data-up', String(peer.uploadedBytes));
      order.push(row.tr);
    }
    for (const [key, row] of this.rows) {
      if (seen.has(key)) continue;
      row.tr.remove();
      this.rows.delete(key);
    }
    if (order.length === 0) order.push(this.emptyRow);
    else this.emptyRow.remove();
    // Moves rows only when the order changed (a moved row loses the viewer's selection).
    const current = [...this.tbody.children];
    if (current.length !== order.length || current.some((tr, i) => tr !== order[i])) this.tbody.append(...order);
  }

  private addRow(key: string, peer: PeerDetails): PeerRow {
    const cells = {} as Record<PeerColumn, HTMLTableCellElement>;
    for (const column of PEER_COLUMNS) cells[column] = h(this.doc, column === 'peer' ? 'th' : 'td', { 'data-column': column });
    cells.peer.setAttribute('scope', 'row');
    cells.peer.title = peer.id;
    const tr = h(this.doc, 'tr', { 'data-peer': peer.id }, PEER_COLUMNS.map((c) => cells[c]));
    const row = { tr, cells };
    this.rows.set(key, row);
    return row;
  }
}
