// The Azure REST API spec examples, read in place from ../shared/azure-rest-specs, and the one
// comparison the spec tests make with them.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { repoRoot } from '../src/config.js';

export const SPECS = resolve(repoRoot(), '..', 'shared', 'azure-rest-specs', 'specification');
export const MSI = 'msi/resource-manager/Microsoft.ManagedIdentity/stable/2023-01-31/examples';
export const AUTH = 'authorization/resource-manager/Microsoft.Authorization/stable/2022-04-01/examples';
export const COMPUTE = 'compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2025-04-01/examples/virtualMachineExamples';
export const RESOURCES = 'resources/resource-manager/Microsoft.Resources/stable';

/** CI always has ../shared beside the clone: there a missing folder is a failure, not a skip. */
export const SKIP_SPECS = !existsSync(SPECS) && !process.env.CI;

export interface Example {
  parameters: Record<string, unknown> & { 'api-version': string; parameters?: Record<string, unknown> };
  responses: Record<string, { body?: Record<string, unknown>; headers?: Record<string, string> }>;
}

/** One example file, by its path below `specification/`. */
export function example(file: string): Example {
  return JSON.parse(readFileSync(join(SPECS, file), 'utf8')) as Example;
}

/** Every field of `expected` is present in `actual`, recursively, with the same JSON type. */
export function expectFields(actual: unknown, expected: unknown, at = '$'): void {
  if (expected === null || expected === undefined) return;
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), `${at} is an array`).toBe(true);
    const first = expected[0];
    const actualFirst = (actual as unknown[])[0];
    if (first !== undefined && actualFirst !== undefined) expectFields(actualFirst, first, `${at}[0]`);
    return;
  }
  if (typeof expected === 'object') {
    expect(typeof actual, `${at} is an object`).toBe('object');
    for (const [key, value] of Object.entries(expected)) {
      expect(actual, `${at} has '${key}'`).toHaveProperty([key]);
      expectFields((actual as Record<string, unknown>)[key], value, `${at}.${key}`);
    }
    return;
  }
  expect(typeof actual, `${at} is a ${typeof expected}`).toBe(typeof expected);
}
