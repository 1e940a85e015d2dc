import type { P2PDetails, P2PDetailsSource, P2PPluginOptions } from '../../player/src/index.ts';
import { injectCss, setAttr } from './dom.ts';
import { PANEL_CSS, PANEL_STYLE_ID } from './panel-styles.ts';
import { ButtonClass, ComponentClass, pluginBase, type Button, type Component, type Player } from './videojs-types.ts';

export interface PanelState {
  open: boolean;
}

/** What a panel plugin is: its panel's class and name, its control-bar button, its stylesheet. */
export interface PanelSpec {
  /** Class of the panel element, also the stem of the button's class. */
  className: string;
  /** The panel's accessible name (it is a `region`). */
  label: string;
  /** The control-bar button's accessible name. */
  buttonLabel: string;
  styleId: string;
  css: string;
}

const UPDATE_MS = 1000;

/**
 * A panel over the top of the player with a control-bar button that shows and hides it, filled from the element's
 * public `p2pDetails()` once a second while it is shown. Hidden, it costs nothing: no timer, no key listener, no
 * drawing. Escape closes it; focus inside it goes back to its button.
 */
export abstract class PanelPlugin extends pluginBase<PanelState>() {
  static defaultState: PanelState = { open: false };
  /** Where the figures come from: the `<p2p-video>` around the player. */
  protected readonly source: P2PDetailsSource | undefined;
  protected readonly panel: HTMLElement;
  private readonly panelComponent: Component;
  private readonly button: Button;
  private timer: ReturnType<typeof setInterval> | undefined;
  private disposed = false;

  constructor(player: Player, options: Partial<P2PPluginOptions> | undefined, spec: PanelSpec) {
    super(player);
    this.source = options?.source ?? sourceAround(player);
    const doc = player.el().ownerDocument;
    injectCss(doc, PANEL_STYLE_ID, PANEL_CSS);
    injectCss(doc, spec.styleId, spec.css);

    this.panel = doc.createElement('div');
    this.panel.className = `vjs-p2p-panel ${spec.className}`;
    this.panel.id = `${player.id()}-${spec.className}`;
    this.panel.setAttribute('role', 'region');
    this.panel.setAttribute('aria-label', spec.label);
    // A click in the panel focuses it (no tab stop is added), so Escape then closes it.
    this.panel.tabIndex = -1;
    this.panelComponent = new ComponentClass(player, { el: this.panel });
    this.panelComponent.hide();
    player.addChild(this.panelComponent);

    this.button = new ButtonClass(player, {
      controlText: spec.buttonLabel,
      className: `vjs-p2p-toggle ${spec.className}-toggle`,
      clickHandler: () => this.setState({ open: !this.state.open }),
    });
    const buttonEl = this.button.el();
    buttonEl.setAttribute('aria-controls', this.panel.id);
    buttonEl.setAttribute('aria-expanded', 'false');
    const controlBar = player.getChild('ControlBar');
    if (controlBar) {
      // Beside the other toggles, before picture-in-picture and fullscreen.
      const children = controlBar.children();
      const before = children.findIndex((c) => c.name() === 'PictureInPictureToggle' || c.name() === 'FullscreenToggle');
      controlBar.addChild(this.button, {}, before >= 0 ? before : children.length);
    }
  }

  /** Called by the subclass once its view is built: shows the panel if asked to start open. */
  protected start(options: Partial<P2PPluginOptions> | undefined): void {
    if (options?.open) this.setState({ open: true });
  }

  /** Writes the figures into the panel (once a second while it is shown). */
  protected abstract render(details: P2PDetails | undefined): void;

  /** The panel was shown or hidden. */
  protected opened(_open: boolean): void {}

  /** Closes the panel and, if focus was in it, hands focus back to its button. */
  protected close(): void {
    const active = this.panel.ownerDocument.activeElement;
    const hadFocus = active !== null && this.panel.contains(active);
    this.setState({ open: false });
    if (hadFocus) this.focusButton();
  }

  override handleStateChanged(event: { changes: { open?: { from: boolean; to: boolean } } }): void {
    if (!event.changes.open) return;
    const open = event.changes.open.to;
    setAttr(this.button.el(), 'aria-expanded', String(open));
    this.button.toggleClass('vjs-p2p-toggle-on', open);
    if (open) {
      this.panelComponent.show();
      this.update();
      this.timer = setInterval(() => this.update(), UPDATE_MS);
      // Capture: video.js stops keydown at its controls, and Escape must close the panel from any of them.
      (this.player.el() as HTMLElement).addEventListener('keydown', this.onKeyDown, true);
    } else {
      this.stop();
      this.panelComponent.hide();
    }
    this.opened(open);
  }

  override dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stop();
    this.player.getChild('ControlBar')?.removeChild(this.button);
    this.button.dispose();
    this.player.removeChild(this.panelComponent);
    this.panelComponent.dispose();
    super.dispose();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    (this.player.el() as HTMLElement | null)?.removeEventListener('keydown', this.onKeyDown, true);
  }

  private update(): void {
    let details: P2PDetails | undefined;
    try {
      details = this.source?.p2pDetails();
    } catch (error) {
      this.log.warn('cannot read the figures:', error);
    }
    this.fitAboveControlBar();
    this.render(details);
  }

  // Whatever the skin's control bar height, the panel ends above it (3em, video.js' own, until it is measured).
  private fitAboveControlBar(): void {
    const bar = this.player.getChild('ControlBar')?.el() as HTMLElement | undefined;
    const height = bar?.offsetHeight ?? 0;
    if (height > 0) this.panel.style.setProperty('--vjs-p2p-control-bar', `${height}px`);
  }

  private focusButton(): void {
    const el = this.button.el() as HTMLElement;
    if (el.isConnected && el.offsetParent !== null) el.focus();
    else (this.player.el() as HTMLElement).focus();
  }

  private readonly onKeyDown = (event: KeyboardEvent): void => {
    if (event.key !== 'Escape' || !this.state.open) return;
    // With both panels open, Escape closes the one the viewer is in (or whose button has focus), not both.
    const active = this.panel.ownerDocument.activeElement;
    const elsewhere = active?.closest('.vjs-p2p-panel, .vjs-p2p-toggle');
    if (elsewhere && elsewhere !== this.panel && elsewhere !== this.button.el()) return;
    this.close();
  };
}

/** Without a source given, the `<p2p-video>` (or anything with `p2pDetails()`) the player sits in. */
function sourceAround(player: Player): P2PDetailsSource | undefined {
  const parent = player.el().parentElement as (HTMLElement & Partial<P2PDetailsSource>) | null;
  return parent && typeof parent.p2pDetails === 'function' ? (parent as unknown as P2PDetailsSource) : undefined;
}
