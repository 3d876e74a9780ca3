import { describe, expect, it } from 'vitest';
import { IMDS_RETRY_DEFAULTS, RetryPolicy, parseRetryAfter, type AttemptOutcome } from '../src/index.js';

describe('parseRetryAfter', () => {
  it('reads delta seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter(['5'])).toBe(5000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 12:00:10 GMT', Date.parse('Sun, 29 Nov 2026 12:00:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 11:00:00 GMT', Date.parse('Sun, 29 Nov 2026 12:00:00 GMT'))).toBe(0);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('RetryPolicy', () => {
  const failure = (status: number, retryAfterMs?: number): AttemptOutcome<string> => ({
    ok: false,
    status,
    retryAfterMs,
    error: new Error(`HTTP ${status}`),
  });

  it('doubles the wait, caps it, and keeps the longer Retry-After', () => {
    const policy = new RetryPolicy(IMDS_RETRY_DEFAULTS, { random: () => 0 });
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => policy.delayMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, 16000, 16000]);
    expect(policy.delayMs(1, 3000)).toBe(3000);
    expect(policy.delayMs(3, 3000)).toBe(4000);
  });

  it('jitter only lengthens a wait, by at most the jitter fraction', () => {
    const max = new RetryPolicy(IMDS_RETRY_DEFAULTS, { random: () => 0.999999 });
    expect(max.delayMs(1)).toBe(1200);
    const min = new RetryPolicy(IMDS_RETRY_DEFAULTS, { random: () => 0 });
    expect(min.delayMs(1)).toBe(1000);
  });

  it('does not retry an error thrown by the attempt, nor a status that is not retryable', async () => {
    const sleeps: number[] = [];
    const policy = new RetryPolicy(IMDS_RETRY_DEFAULTS, { sleep: async (ms) => void sleeps.push(ms) });
    let calls = 0;
    await expect(
      policy.run(async () => {
        calls += 1;
        throw new Error('network');
      }),
    ).rejects.toThrow('network');
    await expect(policy.run(async () => (calls++, failure(403)))).rejects.toThrow('HTTP 403');
    expect(calls).toBe(2);
    expect(sleeps).toEqual([]);
  });

  it('stops after maxRetries', async () => {
    const sleeps: number[] = [];
    const policy = new RetryPolicy(IMDS_RETRY_DEFAULTS, { maxRetries: 2, random: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    let calls = 0;
    await expect(policy.run(async () => (calls++, failure(500)))).rejects.toThrow('HTTP 500');
    expect(calls).toBe(3);
    expect(sleeps).toEqual([1000, 2000]);
  });
});
