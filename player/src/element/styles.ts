import videojsCss from 'video.js/dist/video-js.css?inline';

const STYLE_ID = 'p2p-video-styles';

const HOST_CSS = `
p2p-video { display: block; position: relative; }
p2p-video[hidden] { display: none; }
`;

/** Adds video.js' stylesheet and the element's own rules to the document once, however many players exist. */
export function injectStyles(doc: Document): void {
  if (doc.getElementById(STYLE_ID)) return;
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = `${videojsCss}\n${HOST_CSS}`;
  doc.head.prepend(style);
}
