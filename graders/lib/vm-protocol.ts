// What the graders of the VM labs (04 to 09; and lab 10, whose programs run in container groups)
// and their harness on the VM or in the group (vm-harness.ts) say to each
// other: the input (argv), the one result (on file descriptor 3), and how tokens — as is,
// encoded, reversed or split across lines — are found in text and blotted out of it.
import type { SdkOutput } from '../08-identity-sdk-on-vm.js';
import type { Lab09Input, Lab09Output } from '../09-key-vault-secret-on-vm.js';

/**
 * The labs whose programs the graders run on the lab VM (labs 06, 07 and 09: their starter/vm.ts),
 * or in a container group (lab 10: lab 05's program, and its own starter/vm.ts).
 */
export type VmLab = '04' | '05' | '06' | '07' | '08' | '09' | '10';

/** What the grader asks for. */
export interface HarnessInput {
  lab: VmLab;
  /** The learner's program (absolute path). */
  program: string;
  clientId: string | undefined;
  resource: string;
  /** A resource Entra does not know: IMDS answers 400 invalid_resource. */
  badResource: string;
  /** How many IMDS faults the grader queued before starting the harness (0: none). */
  faults: number;
  /** Time limit of each call into the learner's code. */
  callTimeoutMs: number;
  /** Lab 07: the reads its readWhenGranted is called for. */
  lab07?: Lab07Input;
  /** Lab 09: the vault's URL and the secret's name (no value: the harness reads it on the VM). */
  lab09?: Lab09Input;
}

/** The claims of a bearer token the learner's code sent to a service (never the token). */
export interface SentTokenClaims {
  /** The host it was sent to (ARM's, on the emulator 127.0.0.1:port). */
  host: string;
  aud?: unknown;
  oid?: unknown;
  appid?: unknown;
  xms_mirid?: unknown;
}

/** Lab 10: what the learner's code asked IMDS for, and the claims of the tokens it sent to ARM. */
export interface Lab10Output {
  /** The `client_id` of each IMDS token request (`null`: none given), in order. */
  imdsClientIds: (string | null)[];
  /** The tokens' claims, in the order sent (the first few). */
  sentTokens: SentTokenClaims[];
}

/** Lab 07: what the harness asks the learner's readWhenGranted to read, and how long it may take. */
export interface Lab07Input {
  /** The app identity's ARM id (the harness asks IMDS for its tokens with msi_res_id). */
  appIdentityId: string;
  /** The lab VM's URL (with api-version): granted, perhaps held back by the emulator for a while. */
  grantedUrl: string;
  /** A resource the identity holds no role on (the lab resource group): 403 to the end. */
  deniedUrl: string;
  /** A resource IMDS issues tokens for that is not ARM: the first token of the stale-token call is for it (ARM: 401). */
  otherResource: string;
  /** Seconds the emulator holds the assignment back from the first request (0: no hold, Azure). */
  holdSeconds: number;
  /** The deadlines (`deadlineMs`) given to each call, and the grace past them before the harness stops waiting. */
  grantedDeadlineMs: number;
  deniedDeadlineMs: number;
  staleDeadlineMs: number;
  graceMs: number;
}

/** One ARM request the learner's code made (the token only as a fingerprint). */
export interface ArmAttempt {
  /** Milliseconds since the call began. */
  atMs: number;
  /** ARM's status (0: no answer). */
  status: number;
  /** The first 16 hex digits of the sha256 of the bearer token sent (`own:` before it: a token the harness did not hand out). */
  token: string;
}

/** The outcome of one readWhenGranted call (lab 07). */
export interface ReadOutcome {
  ok: boolean;
  /** The `id` of what it returned. */
  resourceId?: string;
  errorName?: string;
  message?: string;
  elapsedMs: number;
  timedOut: boolean;
  attempts: ArmAttempt[];
  /** What it wrote to stderr during the call (tokens blotted out, cut at 2,000 characters). */
  logged: string;
}

/** One IMDS token request the learner's code made. */
export interface SeenRequest {
  metadataHeader: boolean;
  clientId: boolean;
  resource: string | null;
}

/** The outcome of one call into the learner's code. */
export type CallOutcome =
  | { ok: true; claims: Record<string, unknown>; fingerprint: string; elapsedMs: number; requests: SeenRequest[] }
  | { ok: false; errorName: string; message: string; elapsedMs: number; requests: SeenRequest[]; timedOut: boolean };

/** What the harness reports (on file descriptor 3, the result channel). */
export interface HarnessOutput {
  loadError?: string;
  faults?: CallOutcome;
  /** Lab 04: getToken for the identity chosen by client id; lab 06: systemToken (no identity chosen). */
  token?: CallOutcome;
  /** Lab 07: readWhenGranted for the granted VM (held back first), for the denied group, and with a stale first token. */
  lab07?: { granted?: ReadOutcome; denied?: ReadOutcome; stale?: ReadOutcome };
  badResource?: CallOutcome;
  /** Lab 08: the learner's credentials' tokens, settings and scopes (../08-identity-sdk-on-vm.ts). */
  sdk?: SdkOutput;
  /** Lab 09: the secret read by the harness and by readSecret, as digests (../09-key-vault-secret-on-vm.ts). */
  lab09?: Lab09Output;
  /** Lab 10: the IMDS requests' client ids and the tokens' claims sent to ARM. */
  lab10?: Lab10Output;
  main?: { ok: boolean; error?: string; stdout: string; stderr: string };
  /** Where a token (a JWT, in full or encoded) appeared in what the learner's code wrote or threw. */
  tokenSeenIn: string[];
  /** The program printed more than the cap: the stream, and during what (the harness stopped there). */
  printedTooMuch?: { stream: 'stdout' | 'stderr'; where: string };
  /** How long the harness's own start-up and the program's import took (what the time limits do not charge). */
  timing?: HarnessTiming;
}

/**
 * Milliseconds from the harness process's start (Node's, tsx's and the harness's modules loaded)
 * to each point, and its CPU time (user + system) at each: the run's time limit counts from
 * `programLoaded` on (markReady), the per-call limits from each call's start.
 */
export interface HarnessTiming {
  harnessLoadedMs: number;
  harnessLoadedCpuMs: number;
  programLoadedMs: number;
  programLoadedCpuMs: number;
  /** When the harness was done with the program (its result written next). */
  doneMs: number;
  doneCpuMs: number;
}

/** The file descriptor the harness writes its one result to (the learner's output cannot get in its way). */
export const RESULT_FD = 3;
export const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const JWT_ONCE = new RegExp(JWT.source);
// A JWT written backwards ('…'.split('').reverse().join('')).
const REVERSED_JWT = /[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{4,}Jye\.[A-Za-z0-9_-]{4,}Jye/g;
// Runs long enough to hold an encoded JWT (the shortest is about 20 characters).
const BASE64_RUN = /[A-Za-z0-9+/_-]{24,}={0,2}/g;
const HEX_RUN = /[0-9a-fA-F]{32,}/g;

/** Whether a run of base64, base64url or hex characters decodes (from some offset) to text holding a JWT. */
function encodesJwt(run: string, kind: 'base64' | 'hex'): boolean {
  const offsets = kind === 'hex' ? 2 : 4;
  for (let offset = 0; offset < offsets; offset++) {
    // Node's base64 decoder reads base64url too.
    if (JWT_ONCE.test(Buffer.from(run.slice(offset), kind).toString('latin1'))) return true;
  }
  return false;
}

/** Blots out JWTs written as is, backwards, or base64/base64url/hex-encoded, each where it stands. */
function blotInPlace(text: string): string {
  return text
    .replace(JWT, '[a token]')
    .replace(REVERSED_JWT, '[a token, reversed]')
    .replace(BASE64_RUN, (run) => (encodesJwt(run, 'base64') ? '[a token, encoded]' : run))
    .replace(HEX_RUN, (run) => (encodesJwt(run, 'hex') ? '[a token, encoded]' : run));
}

/**
 * Whether a text holds a token: a JWT as is, backwards, base64/base64url/hex-encoded, or split
 * across lines and chunks (compared with the whitespace between them taken out). Says only
 * whether, never where or what, so nothing built from it can show the token.
 */
export function containsToken(text: string): boolean {
  if (blotInPlace(text) !== text) return true;
  const squeezed = text.replace(/\s+/g, '');
  return squeezed !== text && blotInPlace(squeezed) !== squeezed;
}

/**
 * Blots out every token in a text (see {@link containsToken}); a text holding a token that is
 * split across lines, which cannot be blotted where it stands, is withheld whole.
 */
export function blot(text: string): string {
  const blotted = blotInPlace(text);
  return containsToken(blotted) ? '[output withheld: it holds a token split across lines]' : blotted;
}
