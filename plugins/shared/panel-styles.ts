/** What both panels share: placement over the top of the player, above the control bar, and the toggle buttons. */
export const PANEL_STYLE_ID = 'p2p-video-panel-styles';

// Bar chart icon (Material-like), drawn in the button's text colour through a mask.
const STATS_ICON =
  "url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Cpath d='M4 20h3.5V10H4zm6.25 0h3.5V4h-3.5zm6.25 0H20v-7h-3.5z'/%3E%3C/svg%3E\")";

export const PANEL_CSS = `
.video-js .vjs-p2p-panel {
  position: absolute;
  top: 0.8em;
  left: 0.8em;
  right: 0.8em;
  max-width: 34em;
  max-height: calc(100% - var(--vjs-p2p-control-bar, 3em) - 1.6em);
  overflow: auto;
  box-sizing: border-box;
  padding: 0.7em 0.9em;
  border-radius: 0.4em;
  background: rgba(18, 22, 29, 0.9);
  color: #fff;
  font: 1.2em/1.35 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  text-align: left;
  cursor: auto;
  -webkit-user-select: text;
  user-select: text;
  container-type: inline-size;
}
.video-js.vjs-error .vjs-p2p-panel { display: none; }
.video-js .vjs-p2p-panel:focus { outline: none; }
.video-js .vjs-p2p-panel :focus-visible { outline: 2px solid #fff; outline-offset: 1px; }
.video-js .vjs-p2p-panel p, .video-js .vjs-p2p-panel dl, .video-js .vjs-p2p-panel dd { margin: 0; }
.video-js .vjs-p2p-toggle { width: 3.5em; cursor: pointer; }
.video-js .vjs-p2p-toggle .vjs-icon-placeholder::before {
  display: flex;
  align-items: center;
  justify-content: center;
}
.video-js .vjs-p2p-overlay-toggle .vjs-icon-placeholder::before {
  content: 'P2P';
  font: bold 1.1em/1 Arial, Helvetica, sans-serif;
  letter-spacing: 0.02em;
}
.video-js .vjs-p2p-stats-toggle .vjs-icon-placeholder::before {
  content: '';
  background: currentColor;
  -webkit-mask: ${STATS_ICON} center / 1.9em no-repeat;
  mask: ${STATS_ICON} center / 1.9em no-repeat;
}
.video-js .vjs-p2p-toggle.vjs-p2p-toggle-on { color: #4cc38a; }
`;
