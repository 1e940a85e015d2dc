// Entry of player/dist/p2p-video.js: importing it defines <p2p-video>.
import { define } from './index.ts';

export * from './index.ts';

define();
