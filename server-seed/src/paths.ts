import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Resolved from this file rather than the working directory, so `npx p2p-seed` works from anywhere.
const fromHere = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export const repoRoot = fromHere('../../');
export const defaultPlayerDir = fromHere('../../player/dist');
export const defaultExamplesDir = fromHere('../../examples');
export const dashboardDir = fromHere('../dashboard');
/** uPlot's browser builds, which the dashboard loads. */
export const uplotDir = path.dirname(createRequire(import.meta.url).resolve('uplot'));
export const defaultCollectionDir = fromHere('../../examples/collection');
export const packageJsonPath = fromHere('../../package.json');
