export const STATS_PANEL_CSS = `
.video-js .vjs-p2p-stats {
  /* Top right, so it sits beside the overlay on a wide player (over it on a narrow one, opaque enough to read). */
  left: auto;
  width: calc(100% - 1.6em);
  max-width: 46em;
  background: rgba(18, 22, 29, 0.95);
  font-size: 1.1em;
}
.vjs-p2p-stats .vjs-p2p-stats-head { display: flex; align-items: center; justify-content: space-between; gap: 1em; }
.vjs-p2p-stats .vjs-p2p-stats-title, .vjs-p2p-stats .vjs-p2p-stats-subtitle { font-weight: 600; }
.vjs-p2p-stats .vjs-p2p-stats-subtitle { margin-top: 0.4em; }
.vjs-p2p-stats .vjs-p2p-stats-close {
  flex: none;
  width: 1.8em;
  height: 1.8em;
  padding: 0;
  border: 0;
  border-radius: 0.3em;
  background: rgba(255, 255, 255, 0.15);
  color: inherit;
  font: inherit;
  font-size: 1.2em;
  line-height: 1;
  cursor: pointer;
}
.vjs-p2p-stats .vjs-p2p-stats-close:hover { background: rgba(255, 255, 255, 0.3); }
.vjs-p2p-stats .vjs-p2p-stats-summary {
  display: grid;
  grid-template-columns: max-content minmax(0, 1fr);
  gap: 0.1em 0.8em;
  margin-top: 0.3em;
}
.vjs-p2p-stats .vjs-p2p-stats-summary > div { display: contents; }
.vjs-p2p-stats dt { color: rgba(255, 255, 255, 0.75); }
.vjs-p2p-stats dd { overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.vjs-p2p-stats .vjs-p2p-stats-trackers { margin: 0.1em 0 0; padding: 0; list-style: none; overflow-wrap: anywhere; }
.vjs-p2p-stats .vjs-p2p-stats-trackers [data-status='connected'] { color: #4cc38a; }
.vjs-p2p-stats .vjs-p2p-stats-trackers [data-status='failed'] { color: #ff8a80; }
.vjs-p2p-stats .vjs-p2p-stats-table { overflow-x: auto; margin-top: 0.4em; }
.vjs-p2p-stats table { border-collapse: collapse; font-variant-numeric: tabular-nums; white-space: nowrap; }
.vjs-p2p-stats caption { text-align: left; font-weight: 600; padding-bottom: 0.2em; }
.vjs-p2p-stats th, .vjs-p2p-stats td { padding: 0.1em 0.8em 0.1em 0; text-align: right; font-weight: normal; }
.vjs-p2p-stats thead th { color: rgba(255, 255, 255, 0.75); }
.vjs-p2p-stats [data-column='peer'], .vjs-p2p-stats [data-column='swarm'], .vjs-p2p-stats .vjs-p2p-stats-empty td { text-align: left; }
.vjs-p2p-stats tbody th { font-family: ui-monospace, Menlo, Consolas, monospace; }
`;
