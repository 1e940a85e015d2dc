import type { P2PDetails } from '../../player/src/index.ts';
import { h, setAttr, setText } from '../shared/dom.ts';
import { formatBytes, formatPercent, formatRate, shares } from '../shared/format.ts';
import { drawRateChart } from './rate-chart.ts';
import { rateSeries, type RateBar } from './rate-series.ts';

/** Seconds per bar of the chart: 60 bars over the three minutes of history. */
const BAR_SECONDS = 3;

/**
 * The overlay's content: the peer/origin split as a bar and percentages, the byte counts, the peers, and a chart
 * of the download rate by source. Real text throughout (a viewer can select and copy it); the chart has a text
 * equivalent.
 */
export class RatioView {
  private readonly title: HTMLElement;
  private readonly barPeers: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly peersShare: HTMLElement;
  private readonly originShare: HTMLElement;
  private readonly figures: Record<'p2p' | 'http' | 'upload' | 'peers', HTMLElement>;
  private readonly canvas: HTMLCanvasElement;
  private readonly peak: HTMLElement;

  constructor(panel: HTMLElement) {
    const doc = panel.ownerDocument;
    const figure = (name: string) => h(doc, 'dd', { 'data-figure': name }, ['0']);
    const key = (source: string) => h(doc, 'span', { class: `vjs-p2p-key vjs-p2p-key-${source}`, 'aria-hidden': 'true' });
    this.title = h(doc, 'p', { class: 'vjs-p2p-overlay-title' }, ['Where this video comes from']);
    this.barPeers = h(doc, 'span', { class: 'vjs-p2p-overlay-bar-peers' });
    this.bar = h(doc, 'div', { class: 'vjs-p2p-overlay-bar', 'aria-hidden': 'true' }, [this.barPeers]);
    this.peersShare = h(doc, 'strong', { 'data-share': 'peers' }, ['–']);
    this.originShare = h(doc, 'strong', { 'data-share': 'origin' }, ['–']);
    this.figures = { p2p: figure('p2p'), http: figure('http'), upload: figure('upload'), peers: figure('peers') };
    const row = (label: string, value: HTMLElement) => h(doc, 'div', {}, [h(doc, 'dt', {}, [label]), value]);
    this.canvas = h(doc, 'canvas', { role: 'img', 'aria-label': 'Download rate by source: nothing yet' });
    this.peak = h(doc, 'span', { 'data-figure': 'peak' }, ['0 B/s']);
    panel.append(
      this.title,
      this.bar,
      h(doc, 'p', { class: 'vjs-p2p-overlay-shares' }, [
        h(doc, 'span', {}, [key('p2p'), 'Peers ', this.peersShare]),
        ' ',
        h(doc, 'span', {}, [key('http'), 'Origin ', this.originShare]),
      ]),
      h(doc, 'dl', { class: 'vjs-p2p-overlay-figures' }, [
        row('From peers', this.figures.p2p),
        row('From origin', this.figures.http),
        row('Uploaded', this.figures.upload),
        row('Peers', this.figures.peers),
      ]),
      h(doc, 'div', { class: 'vjs-p2p-overlay-chart' }, [
        this.canvas,
        h(doc, 'p', { class: 'vjs-p2p-overlay-caption' }, ['Download rate, last 3 min · peak ', this.peak]),
      ]),
    );
  }

  update(details: P2PDetails | undefined): void {
    const stats = details?.stats;
    const split = stats ? shares(stats.p2pBytes, stats.httpBytes) : undefined;
    setText(this.title, details?.mode === 'off' ? 'Where this video comes from (P2P off)' : 'Where this video comes from');
    this.bar.classList.toggle('vjs-p2p-overlay-bar-empty', split === undefined);
    this.barPeers.style.width = `${((split?.peers ?? 0) * 100).toFixed(2)}%`;
    setText(this.peersShare, formatPercent(split?.peers));
    setText(this.originShare, formatPercent(split?.origin));
    setText(this.figures.p2p, formatBytes(stats?.p2pBytes ?? 0));
    setText(this.figures.http, formatBytes(stats?.httpBytes ?? 0));
    setText(this.figures.upload, formatBytes(stats?.uploadBytes ?? 0));
    // Viewers, not connections: a peer sharing two renditions with us (video and audio) is one.
    setText(this.figures.peers, String(new Set(details?.peers.map((p) => p.id)).size));

    const series = rateSeries(details?.history ?? [], BAR_SECONDS);
    setText(this.peak, formatRate(series.peak));
    setAttr(this.canvas, 'aria-label', describe(series.bars.at(-1), series.peak));
    drawRateChart(this.canvas, series);
  }
}

function describe(latest: RateBar | undefined, peak: number): string {
  if (!latest || peak === 0) return 'Download rate by source over the last 3 minutes: nothing downloaded';
  return `Download rate by source over the last 3 minutes: now ${formatRate(latest.p2p)} from peers and ${formatRate(latest.http)} from the origin; peak ${formatRate(peak)}`;
}
