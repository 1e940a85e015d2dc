import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * The files beside the bundle that only progressive files need, each built on its own so the bundle stays one
 * self-contained module: WebTorrent with the torrent session (imported on demand) and the service worker that
 * streams a torrent to <video> (a classic script: no imports).
 */
function torrentFiles(): Plugin {
  const files = { 'p2p-video-webtorrent': './src/torrent/torrent-session.ts', 'p2p-video-sw': './src/torrent/service-worker.ts' };
  return {
    name: 'p2p-video-torrent-files',
    apply: 'build',
    async closeBundle() {
      for (const [name, entry] of Object.entries(files)) {
        await build({
          configFile: false,
          logLevel: 'warn',
          build: {
            outDir: here('./dist'),
            emptyOutDir: false,
            target: 'es2020',
            sourcemap: true,
            minify: true,
            lib: { entry: here(entry), formats: ['es'], fileName: () => `${name}.js` },
            rollupOptions: { output: { codeSplitting: false, minify: true } },
          },
        });
      }
    },
  };
}

// One self-contained ES module: lit, video.js (core build, no VHS), hls.js and our code.
export default defineConfig({
  plugins: [torrentFiles()],
  resolve: {
    // Plugins such as videojs-contrib-quality-levels import 'video.js'; point them at the same core build
    // so the bundle carries one video.js and never its bundled HLS engine.
    alias: [{ find: /^video\.js$/, replacement: 'video.js/core.es.js' }],
  },
  build: {
    outDir: here('./dist'),
    emptyOutDir: true,
    target: 'es2020',
    sourcemap: true,
    minify: true,
    lib: {
      entry: here('./src/bundle.ts'),
      formats: ['es'],
      fileName: () => 'p2p-video.js',
    },
    // Vite leaves an ES library unminified even with build.minify; this is a standalone script tag, so minify it.
    rollupOptions: { output: { codeSplitting: false, minify: true } },
  },
});
