import { parseArgs } from 'node:util';

/** Bad command-line arguments: the benchmark prints the message with its usage and exits 2. */
export class UsageError extends Error {}

/** How the viewer benchmarks (swarm, progressive, live) run their viewers. */
export interface BenchOptions {
  viewers: number;
  stagger: number;
  watch: number;
  runs: number;
}

/** A number option, at least `min` (and whole if `integer`). */
export function numberOption(name: string, value: string, min: number, integer: boolean): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} of at least ${min}, not "${value}"`);
  }
  return n;
}

/**
 * `--viewers N --stagger S --watch S --runs K` (and any `extra` string options, returned as given); `--help` prints
 * `usage` and exits. Throws UsageError on bad values.
 */
export function parseViewerOptions<E extends string = never>(
  argv: string[],
  defaults: BenchOptions,
  usage: string,
  extra: Record<E, string> = {} as Record<E, string>,
): BenchOptions & { extra: Record<E, string> } {
  const options = Object.fromEntries(
    [...Object.entries({ ...defaults }), ...Object.entries(extra)].map(([name, value]) => [name, { type: 'string' as const, default: String(value) }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h', default: false } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const text = (name: string): string => String(values[name]);
  return {
    viewers: numberOption('viewers', text('viewers'), 1, true),
    stagger: numberOption('stagger', text('stagger'), 0, false),
    watch: numberOption('watch', text('watch'), 1, false),
    runs: numberOption('runs', text('runs'), 1, true),
    extra: Object.fromEntries(Object.keys(extra).map((name) => [name, text(name)])) as Record<E, string>,
  };
}
