export { packageCollection } from './package-collection.ts';
export type { PackageOptions, PackageReport, PackagedTitle } from './package-collection.ts';
export type { ProgressMode } from './progress.ts';
export type { SkippedFile } from './package-title.ts';
