// The class result as JSON (`milab class grade --json`), with a schema version and a zod schema
// that says exactly what a reader may rely on. Bump CLASS_JSON_SCHEMA_VERSION on any change that
// removes or renames a field; added fields keep the version. Each result inside is what
// `milab grade --json` writes for that check (its schema, @milab/grading's JSON_SCHEMA_VERSION 1).
import { z } from 'zod';
import { defaultRedactor, type Redactor } from '@milab/grading';
import { redactedResult, type ClassResult } from './scoreboard.js';

/** The version of the class JSON format. */
export const CLASS_JSON_SCHEMA_VERSION = 1;

const score = z.object({ earned: z.number(), possible: z.number(), percent: z.number().int().min(0).max(100) });
const gradeStatus = z.enum(['passed', 'failed', 'error']);
const cannotGradeKind = z.enum(['sign-in', 'network', 'emulator', 'other']);
const checkInfo = {
  id: z.string(),
  title: z.string(),
  weight: z.number().min(0),
  role: z.literal('prerequisite').optional(),
  earnsWith: z.array(z.string()).optional(),
  objectives: z.array(z.string()).optional(),
};
const resultHead = { ...checkInfo, lab: z.string().optional(), points: z.number().min(0).optional(), durationMs: z.number().min(0) };
const checkResult = z.discriminatedUnion('status', [
  z.object({ ...resultHead, status: z.literal('pass'), details: z.string().optional() }),
  z.object({
    ...resultHead,
    status: z.literal('fail'),
    found: z.string(),
    expected: z.string(),
    fix: z.string(),
    details: z.string().optional(),
    retryAfterSeconds: z.number().optional(),
  }),
  z.object({ ...resultHead, status: z.literal('skip'), reason: z.string() }),
  z.object({ ...resultHead, status: z.literal('error'), kind: cannotGradeKind, message: z.string(), hint: z.string() }),
]);
const gradeError = z.object({
  kind: cannotGradeKind,
  message: z.string(),
  hint: z.string(),
  lab: z.string().optional(),
  checkId: z.string().optional(),
  checkTitle: z.string().optional(),
});

/** The schema of `milab class grade --json`. */
export const classJsonSchema = z.object({
  schemaVersion: z.literal(CLASS_JSON_SCHEMA_VERSION),
  classId: z.string(),
  target: z.string(),
  mode: z.string(),
  gradedAt: z.iso.datetime(),
  durationMs: z.number().min(0),
  status: gradeStatus,
  armReads: z.number().int().min(0).optional(),
  labs: z.array(z.object({ id: z.string(), title: z.string(), checks: z.array(z.object(checkInfo)) })),
  learners: z.array(
    z.object({
      learner: z.string(),
      displayName: z.string(),
      upn: z.string().optional(),
      status: gradeStatus,
      score,
      labs: z.array(
        z.object({
          lab: z.string(),
          mark: z.enum(['pass', 'fail', 'waiting', 'error', 'flagged']),
          status: gradeStatus,
          source: z.enum(['graded', 'self-run', 'missing']),
          file: z.string().optional(),
          flags: z.array(z.string()),
          counted: z.boolean(),
          score,
          results: z.array(checkResult),
          error: gradeError.optional(),
        }),
      ),
    }),
  ),
  mistakes: z.array(
    z.object({ checkId: z.string(), lab: z.string(), title: z.string(), count: z.number().int().min(1), learners: z.array(z.string()), fix: z.string() }),
  ),
});

/** A class result as written to JSON. */
export type ClassJson = z.infer<typeof classJsonSchema>;

/** The class result as pretty-printed JSON (ending in a newline), redacted. */
export function formatClassJson(result: ClassResult, options: { redactor?: Redactor } = {}): string {
  const redactor = options.redactor ?? defaultRedactor;
  return `${JSON.stringify({ schemaVersion: CLASS_JSON_SCHEMA_VERSION, ...redactedResult(result, redactor) }, null, 2)}\n`;
}

/** Reads a class JSON report back; throws a message naming what is wrong when it does not match the schema. */
export function parseClassJson(text: string): ClassJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`The class report is not valid JSON (${(error as Error).message}); expected the output of \`./milab class grade --json\`.`);
  }
  const parsed = classJsonSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new Error(
      `The class report does not match schema version ${CLASS_JSON_SCHEMA_VERSION}: ${first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'unknown problem'}. Produce it again with \`./milab class grade --json\`.`,
    );
  }
  return parsed.data;
}
