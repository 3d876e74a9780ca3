// What the graders of labs 04 and 05 and their harness on the VM (vm-harness.ts) say to each
// other: the input (argv), the one result line, and how tokens are blotted out of text.
/** What the grader asks for. */
export interface HarnessInput {
  lab: '04' | '05';
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

/** What the harness prints. */
export interface HarnessOutput {
  loadError?: string;
  faults?: CallOutcome;
  token?: CallOutcome;
  badResource?: CallOutcome;
  main?: { ok: boolean; error?: string; stdout: string; stderr: string };
  /** Where a JWT appeared in what the learner's code wrote or threw. */
  tokenSeenIn: string[];
}

export const RESULT_MARKER = 'MILAB_HARNESS_RESULT ';
export const JWT = /eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** Blots out every JWT in a text. */
export function blot(text: string): string {
  return text.replace(JWT, '[a token]');
}

