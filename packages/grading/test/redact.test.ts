import { afterEach, describe, expect, it } from 'vitest';
import {
  CannotGradeError,
  createTerminalReporter,
  defaultRedactor,
  fail,
  formatJson,
  formatJUnit,
  mergeReports,
  pass,
  REDACTED,
  Redactor,
  registerSecret,
  runChecks,
  skip,
  writeJUnit,
  type GradeReport,
} from '../src/index.js';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, memoryStream, throwing } from './helpers.js';

// A syntactically real JWT (header {"alg":"RS256","typ":"JWT"}), built here so no token-shaped
// string sits in the repository; the signature is made up.
const b64url = (text: string): string => Buffer.from(text).toString('base64url');
const JWT = [
  b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' })),
  b64url(JSON.stringify({ aud: 'https://management.azure.com/', oid: '123' })),
  b64url('signature-bytes-here'),
].join('.');
const SECRET = 'Xy7~Q8s.SuperSecretValue_123';

describe('Redactor', () => {
  const redactor = new Redactor();
  afterEach(() => redactor.clear());

  it.each([
    ['a bare JWT', `token: ${JWT} end`, 'token: [REDACTED] end'],
    ['a JWT with an empty signature', 'eyJhbGciOiJub25lIn0.eyJvaWQiOiIxMjMifQ.', REDACTED],
    ['a bearer header', 'Authorization: Bearer abcDEF123456789ghi', `Authorization: Bearer ${REDACTED}`],
    ['a bearer value in curl', `curl -H "Authorization: Bearer ${JWT}"`, `curl -H "Authorization: Bearer ${REDACTED}"`],
    ['a token sent without a scheme', 'Authorization: abcDEF123456789ghi', `Authorization: ${REDACTED}`],
    ['a JWT sent without a scheme, in a fix line', `Send \`Authorization: Bearer <token>\`, not \`Authorization: ${JWT}\`.`, `Send \`Authorization: Bearer <token>\`, not \`Authorization: ${REDACTED}\`.`],
    ['an opaque token in a fix line', 'fix: send `Authorization: Bearer abcDEF123456789ghi` instead', `fix: send \`Authorization: Bearer ${REDACTED}\` instead`],
    ['bearer without a header name', 'sent bearer 0123456789abcdefXYZ', `sent bearer ${REDACTED}`],
    ['a form-encoded client secret', 'grant_type=client_credentials&client_secret=s3cr3t~value&scope=x', `grant_type=client_credentials&client_secret=${REDACTED}&scope=x`],
    ['an access token in JSON', '{"token_type":"Bearer","access_token":"opaque-token-value","expires_in":"3599"}', `{"token_type":"Bearer","access_token":"${REDACTED}","expires_in":"3599"}`],
    ['an access token in escaped JSON', '{\\"access_token\\":\\"opaque-token-value\\"}', `{\\"access_token\\":\\"${REDACTED}\\"}`],
    ['a YAML client secret', 'client_secret: hunter2hunter2', `client_secret: ${REDACTED}`],
    ['a refresh token field', "refresh_token='abc.def'", `refresh_token='${REDACTED}'`],
    ['a password assignment', 'password=P@ssw0rd!', `password=${REDACTED}`],
    ['a SAS signature', 'https://x.blob.core.windows.net/c?sv=2022&sig=abc%2Bdef%3D', `https://x.blob.core.windows.net/c?sv=2022&sig=${REDACTED}`],
  ])('removes %s', (_name, input, output) => {
    expect(redactor.redact(input)).toBe(output);
  });

  it.each([
    'Fetch a token: run curl against IMDS',
    'the bearer authentication failed',
    'Basic understanding of RBAC helps',
    'AuthorizationFailed: the client does not have authorization',
    'Reset the password with az vm user update',
    'a user-assigned identity named id-alice in rg-alice',
  ])('leaves prose alone: %s', (text) => {
    expect(redactor.redact(text)).toBe(text);
  });

  // Guidance a grader writes must survive: redaction replaces values, never the words a learner needs.
  it.each([
    'a token for https://management.azure.com/ in `Authorization: Bearer <token>`',
    'Send the header exactly `Authorization: Bearer ${token.accessToken}`, with a token for ARM (lab 04).',
    'expected: `Authorization: Bearer ${token}`; found: `Authorization: ${token}` (no Bearer)',
    "headers: { Authorization: `Bearer ${accessToken}` }",
    'the header Authorization: Bearer is missing its scheme',
    'Authorization: required',
    'curl -H "Authorization: Bearer $TOKEN" https://management.azure.com/',
    'curl -d client_secret=${CLIENT_SECRET} -d password=<your password>',
    'set access_token=%ACCESS_TOKEN% first',
  ])('leaves placeholders in guidance alone: %s', (text) => {
    expect(redactor.redact(text)).toBe(text);
  });

  it('removes registered secrets in plain, URL-encoded and JSON-escaped form', () => {
    redactor.add(SECRET);
    redactor.add('pa"ss\\word42');
    expect(redactor.redact(`x ${SECRET} y`)).toBe(`x ${REDACTED} y`);
    expect(redactor.redact(`q=${encodeURIComponent(SECRET)}`)).toBe(`q=${REDACTED}`);
    expect(redactor.redact(JSON.stringify({ v: 'pa"ss\\word42' }))).toBe(`{"v":"${REDACTED}"}`);
  });

  it('ignores registered values too short to be a secret', () => {
    redactor.add('abc');
    redactor.add('');
    expect(redactor.redact('abc abc')).toBe('abc abc');
  });

  it('redacts every string of a nested value, keys included', () => {
    redactor.add(SECRET);
    expect(redactor.redactDeep({ a: [JWT, 1, null, { [SECRET]: SECRET }], b: true })).toEqual({
      a: [REDACTED, 1, null, { [REDACTED]: REDACTED }],
      b: true,
    });
  });
});

// The promise of the package: whatever a grader puts into a result or an error, no reporter
// writes a token or a registered secret.
describe('no reporter ever outputs a token or a secret', () => {
  afterEach(() => defaultRedactor.clear());

  async function leakyReports(): Promise<GradeReport[]> {
    registerSecret(SECRET);
    const single = await runChecks(
      [
        check('01.pass', pass({ details: `called ARM with Authorization: Bearer ${JWT}` }), { title: `Title with ${SECRET}` }),
        check(
          '01.fail',
          fail({
            found: `token response {"access_token":"${JWT}","client_secret":"${SECRET}"}`,
            expected: `no secret in ${SECRET}`,
            fix: `curl -d client_secret=${SECRET} -H 'Authorization: Bearer ${JWT}'`,
            details: `raw ${JWT}`,
          }),
        ),
        check('01.skip', skip({ reason: `lab 00 token ${JWT}` })),
        throwing('01.throw', new Error(`request failed with ${JWT} and ${SECRET}`)),
      ],
      { ctx: undefined, lab: '01', title: `Lab ${SECRET}` },
    );
    const errored = await runChecks(
      [throwing('02.signin', new CannotGradeError('sign-in', `token ${JWT} rejected`, `retry without ${SECRET}`))],
      { ctx: undefined, lab: '02' },
    );
    return [single, errored, mergeReports([single, errored])];
  }

  const assertClean = (output: string): void => {
    expect(output).not.toContain(JWT);
    expect(output).not.toContain(JWT.split('.')[1]);
    expect(output).not.toContain(SECRET);
    expect(output).not.toContain(encodeURIComponent(SECRET));
    expect(output).toContain(REDACTED);
  };

  it('terminal', async () => {
    for (const report of await leakyReports()) {
      const stream = memoryStream(true);
      const reporter = createTerminalReporter({ stream, color: true });
      for (const [index, result] of report.results.entries()) {
        reporter.onEvent({ type: 'start', check: result, index, total: report.results.length });
        reporter.onEvent({ type: 'finish', result, index, total: report.results.length });
      }
      reporter.summary(report);
      assertClean(stream.text());
    }
  });

  it('JSON', async () => {
    for (const report of await leakyReports()) assertClean(formatJson(report));
  });

  it('JUnit, as a string and as a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'milab-grading-'));
    try {
      for (const [index, report] of (await leakyReports()).entries()) {
        assertClean(formatJUnit(report));
        const file = join(dir, `nested/report-${index}.xml`);
        await writeJUnit(report, file);
        assertClean(await readFile(file, 'utf8'));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
