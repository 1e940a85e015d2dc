import { fileURLToPath } from 'node:url';

// Resolved from this file rather than the working directory, so `npx p2p-seed` works from anywhere.
const fromHere = (relative: string): string => fileURLToPath(new URL(relative, import.meta.url));

export const repoRoot = fromHere('../../');
export const defaultPlayerDir = fromHere('../../player/dist');
export const defaultExamplesDir = fromHere('../../examples');
export const defaultCollectionDir = fromHere('../../examples/collection');
export const packageJsonPath = fromHere('../../package.json');
