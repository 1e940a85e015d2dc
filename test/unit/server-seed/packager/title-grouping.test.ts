import { describe, expect, it } from 'vitest';
import { groupByTitle, titleNameOf } from '../../../../server-seed/src/packager/title-grouping.ts';
import { isWorkFolderName } from '../../../../server-seed/src/packager/title-folder.ts';

describe('title grouping', () => {
  it('reads TITLE.<digits>p as a rendition of TITLE', () => {
    expect(titleNameOf('film.720p.mp4')).toEqual({ title: 'film', label: '720p' });
    expect(titleNameOf('film.1080P.MOV')).toEqual({ title: 'film', label: '1080p' });
    expect(titleNameOf('film.mp4')).toEqual({ title: 'film', label: null });
    expect(titleNameOf('my.film.m4v')).toEqual({ title: 'my.film', label: null });
    expect(titleNameOf('720p.mp4')).toEqual({ title: '720p', label: null });
  });

  it('groups the sources of a folder by title and ignores other files', () => {
    const groups = groupByTitle(['b.mp4', 'a.480p.mp4', 'a.mp4', 'notes.txt', '.a.mp4', 'c.MOV', 'a.720p.m4v', 'd.webm']);
    expect([...groups]).toEqual([
      ['a', ['a.480p.mp4', 'a.720p.m4v', 'a.mp4']],
      ['b', ['b.mp4']],
      ['c', ['c.MOV']],
    ]);
  });

  it('recognises the work folders a crashed run leaves', () => {
    expect(isWorkFolderName('.film.tmp-0a1b2c3d')).toBe(true);
    expect(isWorkFolderName('.my film.old-0a1b2c3d')).toBe(true);
    expect(isWorkFolderName('film.tmp-0a1b2c3d')).toBe(false);
    expect(isWorkFolderName('.film.tmp-xyz')).toBe(false);
  });
});
