import path from 'node:path';

export const SOURCE_EXTENSIONS = new Set(['.mp4', '.m4v', '.mov']);

/** A source file's place in a title: `film.720p.mp4` is rendition "720p" of title "film". */
export interface TitleName {
  title: string;
  /** The `.<digits>p` suffix without its dot, or null for `film.mp4`. */
  label: string | null;
}

export function isSourceName(name: string): boolean {
  return !name.startsWith('.') && SOURCE_EXTENSIONS.has(path.extname(name).toLowerCase());
}

export function titleNameOf(fileName: string): TitleName {
  const stem = fileName.slice(0, fileName.length - path.extname(fileName).length);
  const match = /^(.+)\.(\d+p)$/i.exec(stem);
  return match ? { title: match[1], label: match[2].toLowerCase() } : { title: stem, label: null };
}

/** Source file names of one folder grouped by title, titles and files in a stable order. */
export function groupByTitle(fileNames: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const name of [...fileNames].filter(isSourceName).sort()) {
    const { title } = titleNameOf(name);
    groups.set(title, [...(groups.get(title) ?? []), name]);
  }
  return new Map([...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
