import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// One self-contained ES module: lit, video.js (core build, no VHS), hls.js and our code.
export default defineConfig({
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
