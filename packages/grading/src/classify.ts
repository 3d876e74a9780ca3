// Telling "the environment failed" (exit 2, could not grade) apart from "the grader hit an
// unexpected error" (a failed check). The caller (the CLI, through @milab/core) knows its own
// typed errors and may supply a classifier; this file holds the fallback that recognises
// CannotGradeError, Node/undici network codes, @milab/core's "unavailable" errors and
// @azure/identity's sign-in errors by name, so the package needs no dependency on either.
import { CannotGradeError, type CannotGradeInfo, type CannotGradeKind } from './check.js';

/**
 * Decides whether a thrown value means grading cannot go on. Returns the kind, message and next
 * step, or `undefined` when the error is not an environment failure (it then becomes a failed
 * check).
 */
export type ErrorClassifier = (error: unknown) => CannotGradeInfo | undefined;

/** The next step for each kind of environment failure, used when a classifier gives none. */
export const NEXT_STEP = {
  'sign-in':
    'Sign in (run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate), then run `./milab grade` again.',
  network:
    'Check your network connection and proxy settings (HTTPS_PROXY, NO_PROXY), then run `./milab grade` again.',
  emulator: 'Start the emulator (`./milab emulator start --detach`), then run `./milab grade` again.',
  other: 'Run `./milab doctor` to see what is wrong, fix it, then run `./milab grade` again.',
} as const;

// Socket and DNS failures from Node and undici: the request never reached a server that could
// answer, so nothing can be concluded about the learner's resources.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
]);

// @azure/identity's error class names: the credential chain could not produce a token.
const SIGN_IN_ERROR_NAMES = new Set([
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

// @milab/core's "could not do the job at all" errors, by class name (no import: grading stays
// free of Azure dependencies). They carry their own hint, which is kept.
const CORE_ERROR_KINDS: Readonly<Record<string, CannotGradeKind>> = {
  NotSignedInError: 'sign-in',
  AuthenticationFailedError: 'sign-in',
  ArmUnreachableError: 'network',
  ImdsUnreachableError: 'network',
  EmulatorNotRunningError: 'emulator',
};
// @milab/core's exit code for "unavailable": any core error carrying it cannot be graded past.
const EXIT_UNAVAILABLE = 2;

/**
 * The fallback classifier: a {@link CannotGradeError} as thrown, a network error code anywhere
 * in the `cause` chain, an @milab/core "unavailable" error (not signed in, ARM unreachable,
 * emulator not running: recognised by class name or exit code 2, keeping its hint), or an
 * @azure/identity sign-in error.
 */
export const classifyEnvironmentError: ErrorClassifier = (error) => {
  for (const link of causeChain(error)) {
    if (link instanceof CannotGradeError) return { kind: link.kind, message: link.message, hint: link.hint };
    if (!isObject(link)) continue;
    const code = typeof link.code === 'string' ? link.code : undefined;
    if (code !== undefined && NETWORK_CODES.has(code)) {
      return { kind: 'network', message: messageOf(error), hint: NEXT_STEP.network };
    }
    const name = typeof link.name === 'string' ? link.name : '';
    const ownHint = typeof link.hint === 'string' && link.hint.trim() !== '' ? link.hint : undefined;
    const coreKind = CORE_ERROR_KINDS[name] ?? (link.exitCode === EXIT_UNAVAILABLE && ownHint !== undefined ? 'other' : undefined);
    if (coreKind !== undefined) {
      return { kind: coreKind, message: singleMessage(link), hint: ownHint ?? NEXT_STEP[coreKind] };
    }
    if (SIGN_IN_ERROR_NAMES.has(name)) {
      return { kind: 'sign-in', message: messageOf(link), hint: NEXT_STEP['sign-in'] };
    }
  }
  return undefined;
};

/**
 * Runs the caller's classifier first and the fallback after, so a caller only needs to add
 * what it knows better (e.g. "ECONNREFUSED on the emulator's port means it is not running").
 */
export function classifyWith(custom: ErrorClassifier | undefined, error: unknown): CannotGradeInfo | undefined {
  // A CannotGradeError is the grader's explicit verdict: no classifier may override it.
  if (error instanceof CannotGradeError) return classifyEnvironmentError(error);
  return custom?.(error) ?? classifyEnvironmentError(error);
}

/**
 * A one-line message for any thrown value, including its causes' messages when they add
 * something ("fetch failed: connect ECONNREFUSED 127.0.0.1:8443"). Never a stack trace.
 */
export function messageOf(error: unknown): string {
  const parts: string[] = [];
  for (const link of causeChain(error)) {
    const text = singleMessage(link);
    if (text !== '' && !parts.some((part) => part.includes(text))) parts.push(text);
  }
  return parts.length > 0 ? parts.join(': ') : 'an error without a message';
}

function singleMessage(value: unknown): string {
  if (value instanceof Error) return value.message.trim();
  if (typeof value === 'string') return value.trim();
  if (isObject(value) && typeof value.message === 'string') return value.message.trim();
  if (value === null || value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

// Errors wrap errors (fetch failed → cause: ECONNREFUSED); a bounded walk avoids cycles.
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = isObject(current) ? current.cause : undefined;
  }
  return chain;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
