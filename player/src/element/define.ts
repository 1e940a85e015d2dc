import { P2PVideoElement } from './p2p-video-element.ts';

/** Defines `<p2p-video>` unless something (another copy of the bundle) already has. */
export function define(tagName = 'p2p-video', registry: CustomElementRegistry = customElements): void {
  if (!registry.get(tagName)) registry.define(tagName, tagName === 'p2p-video' ? P2PVideoElement : class extends P2PVideoElement {});
}
