// Entry of player/dist/p2p-video.js: importing it registers the bundled video.js plugins and defines <p2p-video>.
import { registerRatioOverlay } from '../../plugins/ratio-overlay/index.ts';
import { registerStatsPanel } from '../../plugins/stats-panel/index.ts';
import { define } from './index.ts';

export * from './index.ts';

registerRatioOverlay();
registerStatsPanel();
define();
