import { describe, expect, it } from 'vitest';
import { isGenericLearnerId, isLabResource, isValidLearnerId, labResourceNames, labTags, sanitizeLearnerId } from '../src/index.js';

describe('naming', () => {
  it('sanitises user names into learner ids', () => {
    expect(sanitizeLearnerId('Jane Doe')).toBe('jane-doe');
    expect(sanitizeLearnerId('ZOË_o\'Brien')).toBe('zoe-o-brien');
    expect(sanitizeLearnerId('--root--')).toBe('root');
    expect(sanitizeLearnerId('a'.repeat(40))).toHaveLength(24);
    expect(sanitizeLearnerId('abcdefghijklmnopqrstuvw-xyz')).toBe('abcdefghijklmnopqrstuvw');
    expect(sanitizeLearnerId('!!!')).toBe('');
    expect(isValidLearnerId(sanitizeLearnerId('Jane Doe'))).toBe(true);
    expect(isValidLearnerId('Jane')).toBe(false);
  });

  it('knows the OS user names every class machine shares (issue 10)', () => {
    for (const name of ['root', 'azureuser', 'ubuntu', 'vscode', 'codespace', 'node', 'admin']) expect(isGenericLearnerId(name), name).toBe(true);
    expect(isGenericLearnerId('jane')).toBe(false);
  });

  it('names and tags lab resources from the learner id', () => {
    expect(labResourceNames('jane')).toEqual({
      userAssignedIdentity: 'id-milab-jane',
      virtualMachine: 'vm-milab-jane',
      resourceGroup: 'rg-milab-jane',
    });
    const tags = labTags('jane', '01-user-assigned-identity');
    expect(tags).toEqual({ workshop: 'milab', learner: 'jane', lab: '01-user-assigned-identity' });
    expect(isLabResource(tags)).toBe(true);
    expect(isLabResource(tags, 'jane')).toBe(true);
    expect(isLabResource(tags, 'joe')).toBe(false);
    expect(isLabResource({ workshop: 'other' })).toBe(false);
    expect(isLabResource(undefined)).toBe(false);
  });
});
