import type { RateSeries } from './rate-series.ts';

/** Peers green, origin amber: the bar, the chart and the legend use the same two. */
export const SOURCE_COLORS = { p2p: '#4cc38a', http: '#f5a623' } as const;
const BASELINE = 'rgba(255, 255, 255, 0.35)';

/**
 * Draws the series as stacked bars (peers at the bottom, origin on top) scaled to its peak, filling the canvas at
 * the screen's pixel density. The canvas keeps its CSS size; its pixel size follows it.
 */
export function drawRateChart(canvas: HTMLCanvasElement, series: RateSeries): void {
  const ratio = canvas.ownerDocument.defaultView?.devicePixelRatio ?? 1;
  const width = Math.round(canvas.clientWidth * ratio);
  const height = Math.round(canvas.clientHeight * ratio);
  if (width === 0 || height === 0) return;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.clearRect(0, 0, width, height);
  const line = Math.max(1, Math.round(ratio));
  const floor = height - line;
  ctx.fillStyle = BASELINE;
  ctx.fillRect(0, floor, width, line);
  const count = series.bars.length;
  if (series.peak <= 0 || count === 0) return;
  const slot = width / count;
  const gap = slot >= 4 * ratio ? line : 0;
  const scale = floor / series.peak;
  series.bars.forEach((bar, i) => {
    const x = Math.round(i * slot);
    const w = Math.max(1, Math.round((i + 1) * slot) - x - gap);
    const p2p = Math.round(bar.p2p * scale);
    const http = Math.round(bar.http * scale);
    if (p2p > 0) {
      ctx.fillStyle = SOURCE_COLORS.p2p;
      ctx.fillRect(x, floor - p2p, w, p2p);
    }
    if (http > 0) {
      ctx.fillStyle = SOURCE_COLORS.http;
      ctx.fillRect(x, floor - p2p - http, w, http);
    }
  });
}
