import { SOURCE_COLORS } from './rate-chart.ts';

export const RATIO_OVERLAY_CSS = `
.video-js .vjs-p2p-overlay { max-width: 30em; }
.vjs-p2p-overlay .vjs-p2p-overlay-title { font-weight: 600; margin-bottom: 0.4em; }
.vjs-p2p-overlay .vjs-p2p-overlay-bar {
  display: flex;
  height: 0.6em;
  border-radius: 0.3em;
  overflow: hidden;
  background: ${SOURCE_COLORS.http};
}
.vjs-p2p-overlay .vjs-p2p-overlay-bar.vjs-p2p-overlay-bar-empty { background: rgba(255, 255, 255, 0.25); }
.vjs-p2p-overlay .vjs-p2p-overlay-bar-peers { background: ${SOURCE_COLORS.p2p}; transition: width 0.4s; }
.vjs-p2p-overlay .vjs-p2p-overlay-shares { display: flex; flex-wrap: wrap; gap: 0 1.2em; margin: 0.3em 0; }
.vjs-p2p-overlay .vjs-p2p-key {
  display: inline-block;
  width: 0.75em;
  height: 0.75em;
  margin-right: 0.35em;
  border-radius: 0.15em;
}
.vjs-p2p-overlay .vjs-p2p-key-p2p { background: ${SOURCE_COLORS.p2p}; }
.vjs-p2p-overlay .vjs-p2p-key-http { background: ${SOURCE_COLORS.http}; }
.vjs-p2p-overlay .vjs-p2p-overlay-figures {
  display: grid;
  grid-template-columns: repeat(2, minmax(0, max-content));
  gap: 0 1.2em;
}
.vjs-p2p-overlay .vjs-p2p-overlay-figures > div { display: flex; gap: 0.4em; white-space: nowrap; }
.vjs-p2p-overlay .vjs-p2p-overlay-figures dt { color: rgba(255, 255, 255, 0.75); }
.vjs-p2p-overlay .vjs-p2p-overlay-figures dd { font-variant-numeric: tabular-nums; }
.vjs-p2p-overlay .vjs-p2p-overlay-chart { margin-top: 0.4em; }
.vjs-p2p-overlay canvas { display: block; width: 100%; height: 4em; }
.vjs-p2p-overlay .vjs-p2p-overlay-caption { margin-top: 0.15em; font-size: 0.85em; color: rgba(255, 255, 255, 0.75); }
@container (max-width: 300px) {
  .vjs-p2p-overlay .vjs-p2p-overlay-title { display: none; }
  .vjs-p2p-overlay canvas { height: 2.2em; }
  .vjs-p2p-overlay .vjs-p2p-overlay-figures, .vjs-p2p-overlay .vjs-p2p-overlay-caption { font-size: 0.9em; }
}
`;
