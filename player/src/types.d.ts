declare module 'video.js/core.es.js' {
  import videojs from 'video.js';
  export default videojs;
}

declare module 'videojs-contrib-quality-levels' {
  const plugin: unknown;
  export default plugin;
}

declare module '*.css?inline' {
  const css: string;
  export default css;
}

declare module '@thaunknown/simple-peer' {
  const SimplePeer: unknown;
  export default SimplePeer;
}
