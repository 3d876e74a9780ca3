import { describe, expect, it } from 'vitest';
import { AZURE_REGIONS, editDistance, findRegion, normalizeRegion, suggestRegions } from '../src/index.js';

describe('regions', () => {
  it('knows programmatic and display names, any case and spacing', () => {
    expect(normalizeRegion('westus')).toBe('westus');
    expect(normalizeRegion('West US')).toBe('westus');
    expect(normalizeRegion('WESTUS 2')).toBe('westus2');
    expect(findRegion('North Europe')?.name).toBe('northeurope');
  });

  it('refuses what is not an Azure region', () => {
    expect(normalizeRegion('mars')).toBeUndefined();
    expect(normalizeRegion('')).toBeUndefined();
    expect(normalizeRegion('west us 9')).toBeUndefined();
  });

  it('suggests near names', () => {
    expect(suggestRegions('westsu').map((r) => r.name)).toContain('westus');
    expect(suggestRegions('mars')).toEqual([]);
    expect(editDistance('leaner', 'learner')).toBe(1);
  });

  it('has unique names', () => {
    expect(new Set(AZURE_REGIONS.map((r) => r.name)).size).toBe(AZURE_REGIONS.length);
  });
});
