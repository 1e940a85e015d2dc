import type { P2PDetails, P2PPluginOptions } from '../../player/src/index.ts';
import { PanelPlugin } from '../shared/panel-plugin.ts';
import type { Player } from '../shared/videojs-types.ts';
import { RatioView } from './ratio-view.ts';
import { RATIO_OVERLAY_CSS } from './styles.ts';

/**
 * The peer/origin overlay: how much of the video came from other viewers and how much from the site, with a chart
 * of the last minutes. Shown by the element's `overlay` attribute or its control-bar button; the attribute follows
 * the button, so page CSS can rely on it.
 */
export class RatioOverlay extends PanelPlugin {
  private readonly view: RatioView;

  constructor(player: Player, options?: Partial<P2PPluginOptions>) {
    super(player, options, {
      className: 'vjs-p2p-overlay',
      label: 'Where this video comes from: peers and origin',
      buttonLabel: 'Peers and origin',
      styleId: 'p2p-video-ratio-overlay-styles',
      css: RATIO_OVERLAY_CSS,
    });
    this.view = new RatioView(this.panel);
    this.start(options);
  }

  protected override render(details: P2PDetails | undefined): void {
    this.view.update(details);
  }

  protected override opened(open: boolean): void {
    if (this.source && 'overlay' in this.source && this.source.overlay !== open) this.source.overlay = open;
  }
}
