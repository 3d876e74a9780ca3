// VerifiedTokens' recency order when the same token comes again and again (the usual client):
// the most recent entry is not re-inserted on each hit, and eviction still drops the least
// recently used.
import { describe, expect, it } from 'vitest';
import { VerifiedTokens, type AccessTokenClaims } from '../src/entra/tokens.js';

const claims = (exp: number): AccessTokenClaims => ({ aud: 'a', iss: 'i', iat: 0, nbf: 0, exp, appid: 'x', oid: 'o', sub: 'o', tid: 't' });

describe('VerifiedTokens recency', () => {
  it('repeated hits on the newest entry keep it newest; an older one hit becomes newest', () => {
    const cache = new VerifiedTokens(3);
    cache.set('a', claims(100));
    cache.set('b', claims(100));
    cache.set('c', claims(100));
    for (let i = 0; i < 3; i++) expect(cache.get('c', 0)).toBeDefined();
    expect(cache.get('a', 0)).toBeDefined(); // order now b, c, a
    expect(cache.get('a', 0)).toBeDefined();
    cache.set('d', claims(100)); // drops b
    expect(cache.get('b', 0)).toBeUndefined();
    cache.set('e', claims(100)); // drops c
    expect(cache.get('c', 0)).toBeUndefined();
    expect([cache.get('a', 0), cache.get('d', 0), cache.get('e', 0)].every(Boolean)).toBe(true);
  });

  it('the newest entry expiring, then coming back, is the newest again', () => {
    const cache = new VerifiedTokens(2);
    cache.set('a', claims(100));
    cache.set('b', claims(10));
    expect(cache.get('b', 10)).toBeUndefined();
    cache.set('b', claims(100));
    expect(cache.get('a', 0)).toBeDefined(); // order b, a
    cache.set('c', claims(100)); // drops b
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBeDefined();
  });

  it('a cache of one keeps only the last token', () => {
    const cache = new VerifiedTokens(1);
    cache.set('a', claims(100));
    expect(cache.get('a', 0)).toBeDefined();
    cache.set('b', claims(100));
    expect(cache.get('a', 0)).toBeUndefined();
    expect(cache.get('b', 0)).toBeDefined();
    expect(cache.size).toBe(1);
  });
});
