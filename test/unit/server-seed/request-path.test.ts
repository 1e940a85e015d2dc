import { describe, expect, it } from 'vitest';
import { parseRequestPath } from '../../../server-seed/src/request-path.ts';

describe('parseRequestPath', () => {
  it('decodes once into segments and remembers a trailing slash', () => {
    expect(parseRequestPath('/my%20film/master.m3u8?x=1')).toEqual({ ok: true, segments: ['my film', 'master.m3u8'], trailingSlash: false });
    expect(parseRequestPath('//demo/./v0//')).toEqual({ ok: true, segments: ['demo', 'v0'], trailingSlash: true });
    expect(parseRequestPath('/')).toEqual({ ok: true, segments: [], trailingSlash: true });
    expect(parseRequestPath('/a%23b.ts')).toEqual({ ok: true, segments: ['a#b.ts'], trailingSlash: false });
  });

  it.each(['/..', '/../x', '/%2e%2e/x', '/a/..%2f..%2fx', '/a%2f%2e%2e%2fx', '/..%5cx', '/a\\..\\x'])('refuses %s with 403', (target) => {
    expect(parseRequestPath(target)).toMatchObject({ ok: false, status: 403 });
  });

  it.each(['/.env', '/a/.git/config', '/%2egit/HEAD', '/a%5c.hidden'])('hides %s with 404', (target) => {
    expect(parseRequestPath(target)).toMatchObject({ ok: false, status: 404 });
  });

  it.each(['/%', '/%zz', '/%E0%A4%A', '/a%00b', 'not a url'])('refuses %j with 400', (target) => {
    expect(parseRequestPath(target)).toMatchObject({ ok: false, status: 400 });
  });

  it('normalises an absolute-form target', () => {
    expect(parseRequestPath('http://host/a/../b.ts')).toEqual({ ok: true, segments: ['b.ts'], trailingSlash: false });
  });
});
