import type { P2PDetails, P2PPluginOptions } from '../../player/src/index.ts';
import { PanelPlugin } from '../shared/panel-plugin.ts';
import type { Player } from '../shared/videojs-types.ts';
import { StatsView } from './stats-view.ts';
import { STATS_PANEL_CSS } from './styles.ts';

/** "Stats for nerds": per-peer figures, the rendition, the buffer, the trackers and the swarm, from a control-bar button. */
export class StatsPanel extends PanelPlugin {
  private readonly view: StatsView;

  constructor(player: Player, options?: Partial<P2PPluginOptions>) {
    super(player, options, {
      className: 'vjs-p2p-stats',
      label: 'Peer-to-peer statistics',
      buttonLabel: 'Statistics',
      styleId: 'p2p-video-stats-panel-styles',
      css: STATS_PANEL_CSS,
    });
    this.view = new StatsView(this.panel, () => this.close());
    this.start(options);
  }

  protected override render(details: P2PDetails | undefined): void {
    this.view.update(details);
  }
}
