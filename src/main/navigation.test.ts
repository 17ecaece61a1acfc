import { describe, expect, it } from 'vitest';
import { isAppUrl, isExternalLink } from './navigation';

const built = { url: 'file:///opt/Strata/resources/app/out/renderer/index.html' };
const dev = { url: 'http://localhost:5173/' };

describe('the navigation guard and the IPC sender check', () => {
  it('knows the built app page, with any query or fragment, and nothing else on disk', () => {
    expect(isAppUrl('file:///opt/Strata/resources/app/out/renderer/index.html', built)).toBe(true);
    expect(isAppUrl('file:///opt/Strata/resources/app/out/renderer/index.html#/layers?x=1', built)).toBe(true);
    expect(isAppUrl('file:///opt/Strata/resources/app/out/renderer/other.html', built)).toBe(false);
    expect(isAppUrl('file:///home/me/Downloads/evil.html', built)).toBe(false);
    expect(isAppUrl('file://evil-host/opt/Strata/resources/app/out/renderer/index.html', built)).toBe(false);
  });

  it('knows the dev server by origin only', () => {
    expect(isAppUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5173/assets/x.js', dev)).toBe(true);
    expect(isAppUrl('http://localhost:5174/', dev)).toBe(false);
    expect(isAppUrl('http://127.0.0.1:5173/', dev)).toBe(false);
    expect(isAppUrl('https://localhost:5173/', dev)).toBe(false);
  });

  it('treats everything else, and nothing at all, as foreign', () => {
    for (const url of [
      'https://example.com/',
      'javascript:alert(1)',
      'data:text/html,<h1>x',
      'about:blank',
      '',
      'not a url',
    ]) {
      expect(isAppUrl(url, built)).toBe(false);
      expect(isAppUrl(url, dev)).toBe(false);
    }
    expect(isAppUrl(undefined, built)).toBe(false);
    expect(isAppUrl(null, dev)).toBe(false);
  });

  it('hands only web and mail links to the system browser', () => {
    expect(isExternalLink('https://github.com/')).toBe(true);
    expect(isExternalLink('http://example.com/a')).toBe(true);
    expect(isExternalLink('mailto:me@example.com')).toBe(true);
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'ms-msdt:x', 'nonsense']) {
      expect(isExternalLink(url)).toBe(false);
    }
  });
});
