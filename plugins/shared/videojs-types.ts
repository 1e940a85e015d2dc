import videojs from 'video.js/core.es.js';
import type Button from 'video.js/dist/types/button';
import type Component from 'video.js/dist/types/component';
import type Player from 'video.js/dist/types/player';

/**
 * video.js' advanced plugin base class as TypeScript sees it: its types leave out what the evented and stateful
 * mixins add at run time (on/off, state, setState), which every advanced plugin uses.
 */
export interface PluginInstance<State extends object> {
  player: Player;
  /** Set by the stateful mixin from the class' `defaultState`. */
  state: State;
  setState(update: Partial<State>): void;
  log: { (...args: unknown[]): void; warn(...args: unknown[]): void };
  on(target: Player | Component, type: string, listener: (...args: never[]) => void): void;
  dispose(): void;
  handleStateChanged(event: { changes: { [K in keyof State]?: { from: State[K]; to: State[K] } } }): void;
}

export type PluginClass<State extends object> = new (player: Player) => PluginInstance<State>;

/** The base class an advanced plugin extends (video.js' `Plugin`). */
export function pluginBase<State extends object>(): PluginClass<State> {
  return videojs.getPlugin('plugin') as unknown as PluginClass<State>;
}

export const ButtonClass = videojs.getComponent('Button') as unknown as new (
  player: Player,
  options: { controlText: string; className: string; clickHandler: () => void },
) => Button;

export const ComponentClass = videojs.getComponent('Component') as unknown as new (player: Player, options: { el: HTMLElement }) => Component;

export type { Button, Component, Player };
