import { describe, expect, it } from 'vitest';
import { CannotGradeError, classifyEnvironmentError, messageOf, NEXT_STEP } from '../src/index.js';

// Stand-ins shaped like @milab/core's errors (name, code, hint, exitCode), without importing it.
const coreError = (name: string, message: string, fields: Record<string, unknown>): Error =>
  Object.assign(new Error(message), { name, ...fields });

describe('classifyEnvironmentError', () => {
  it('returns a CannotGradeError as thrown', () => {
    expect(classifyEnvironmentError(new CannotGradeError('emulator', 'not running', 'start it'))).toEqual({
      kind: 'emulator',
      message: 'not running',
      hint: 'start it',
    });
  });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'SELF_SIGNED_CERT_IN_CHAIN'])(
    'classifies %s as network',
    (code) => {
      const error = Object.assign(new Error(`request failed ${code}`), { code });
      expect(classifyEnvironmentError(error)).toEqual({ kind: 'network', message: `request failed ${code}`, hint: NEXT_STEP.network });
    },
  );

  it.each([
    ['NotSignedInError', 'sign-in'],
    ['AuthenticationFailedError', 'sign-in'],
    ['ArmUnreachableError', 'network'],
    ['EmulatorNotRunningError', 'emulator'],
  ])('recognises @milab/core %s as %s and keeps its hint', (name, kind) => {
    const error = coreError(name, 'what happened', { code: 'MILAB_X', hint: 'what to do', exitCode: 2 });
    expect(classifyEnvironmentError(error)).toEqual({ kind, message: 'what happened', hint: 'what to do' });
  });

  it('treats any other core error with exit code 2 and a hint as could-not-grade', () => {
    const error = coreError('SomeNewUnavailableError', 'x is down', { code: 'MILAB_X', hint: 'wait', exitCode: 2 });
    expect(classifyEnvironmentError(error)).toEqual({ kind: 'other', message: 'x is down', hint: 'wait' });
  });

  it('finds the environment failure anywhere in the cause chain', () => {
    const inner = new CannotGradeError('sign-in', 'expired', 'az login');
    expect(classifyEnvironmentError(new Error('outer', { cause: new Error('middle', { cause: inner }) }))?.kind).toBe('sign-in');
  });

  it('leaves learner-facing and programming errors alone', () => {
    expect(classifyEnvironmentError(new TypeError('x is undefined'))).toBeUndefined();
    expect(classifyEnvironmentError(coreError('ArmError', 'not found', { code: 'ResourceNotFound', hint: 'create it', exitCode: 1 }))).toBeUndefined();
    expect(classifyEnvironmentError('a string')).toBeUndefined();
    expect(classifyEnvironmentError(null)).toBeUndefined();
  });

  it('survives a cause cycle', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(classifyEnvironmentError(a)).toBeUndefined();
    expect(messageOf(a)).toBe('a: b');
  });
});

describe('messageOf', () => {
  it('joins new information from causes, once, without a stack', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:1');
    expect(messageOf(new TypeError('fetch failed', { cause }))).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    expect(messageOf(new Error('ARM said: connect ECONNREFUSED 127.0.0.1:1', { cause }))).toBe(
      'ARM said: connect ECONNREFUSED 127.0.0.1:1',
    );
    expect(messageOf(new Error(''))).toBe('an error without a message');
    expect(messageOf(undefined)).toBe('an error without a message');
  });
});
