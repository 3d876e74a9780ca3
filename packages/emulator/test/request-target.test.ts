// RequestTarget (http.ts): the front door reads a plain target's path and api-version without a
// URL parser; whatever it gives must be what the URL parser gives, plain target or not.
import { describe, expect, it } from 'vitest';
import { RequestTarget } from '../src/http.js';

const BASE = 'https://127.0.0.1:8443';

const TARGETS = [
  '/subscriptions/98f51385-2edc-4b79-bed9-7718de4cb861/resourceGroups/DevTest?api-version=2021-04-01',
  '/subscriptions/x/resourcegroups?api-version=2021-04-01&$top=5&$skiptoken=10',
  '/subscriptions/x?api-version=',
  '/subscriptions/x?api-version',
  '/subscriptions/x?&&api-version=a&api-version=b&',
  '/subscriptions/x?api-version=2021%2D04%2D01',
  '/subscriptions/x?api-version=a+b',
  '/subscriptions/x?',
  '/subscriptions/x?a=1?b=2',
  "/subscriptions/x?name='quoted'",
  "/subscriptions/it's/resourceGroups/(rg)!*",
  '//subscriptions//x/',
  '/a/./b/../c?api-version=1',
  '/a/%2e%2E/b',
  '/a/%2Fb%zz',
  '/a b?c d',
  '/a\\b',
  '/ä/ö?ü=1',
  '/a#fragment',
  '/a?b#c',
  '/{x}/`y`/^z|',
  '/',
];

describe('RequestTarget', () => {
  it.each(TARGETS)('%s: the URL parser’s pathname, query and parameters', (target) => {
    const parsed = RequestTarget.parse(target, BASE);
    const url = new URL(`${BASE}${target}`);
    expect(parsed?.pathname).toBe(url.pathname);
    expect(parsed?.query).toBe(url.search.slice(1));
    expect(parsed?.url.href).toBe(url.href);
    for (const name of ['api-version', '$top', 'a', 'b', 'name', '', 'c d', 'ü']) expect(parsed?.param(name)).toBe(url.searchParams.get(name));
  });

  it('is undefined for a target that is not in origin-form', () => {
    for (const target of ['*', 'example.com:443', 'https://example.com/x', '']) expect(RequestTarget.parse(target, BASE)).toBeUndefined();
  });
});
