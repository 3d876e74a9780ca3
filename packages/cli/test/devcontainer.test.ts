// The dev container (.devcontainer/devcontainer.json, for Codespaces and VS Code): it validates
// against the dev container schema (the part of devcontainers/spec's devContainer.base.schema.json
// it uses, fixtures/devContainer.subset.schema.json), has Node 20, az and pnpm, and its commands
// are the README's first command: the install after the container is created, the start on each
// start of the container.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PORT } from '../src/class/watch.js';
import { repo } from './support.js';

const text = readFileSync(join(repo, '.devcontainer', 'devcontainer.json'), 'utf8');
// Strict JSON (no comments): every JSON reader takes it, not only the JSONC ones.
const config = JSON.parse(text) as {
  image: string;
  features: Record<string, unknown>;
  postCreateCommand: string;
  postStartCommand: string;
  forwardPorts: number[];
};
const schema = JSON.parse(readFileSync(new URL('./fixtures/devContainer.subset.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2019({ allErrors: true, strict: false });
addFormats.default(ajv);
const validate = ajv.compile(schema);
const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { packageManager: string; engines: { node: string } };
// The README's first command: the first line of its first sh block that is not a comment.
const firstCommand = /```sh\n(?:#.*\n)*(.+)\n/.exec(readFileSync(join(repo, 'README.md'), 'utf8'))?.[1] ?? '';

describe('the dev container', () => {
  it('validates against the dev container schema', () => {
    expect(validate(config) ? [] : validate.errors).toEqual([]);
  });

  it('is checked for real: the schema refuses what the spec does not have', () => {
    expect(validate({ ...config, postCreateComand: 'typo' })).toBe(false);
    expect(validate({ ...config, forwardPorts: [70000] })).toBe(false);
    const { image: _image, ...noImage } = config;
    expect(validate(noImage)).toBe(false);
  });

  it('runs the README\'s first command: the install once created, the start on every start', () => {
    expect(firstCommand).toMatch(/^npx -y pnpm@\S+ install && \.\/milab start$/);
    expect(`${config.postCreateCommand} && ${config.postStartCommand}`).toBe(firstCommand);
  });

  it('has Node 20 (as package.json allows), pnpm at the version package.json pins, and az', () => {
    expect(config.image).toMatch(/^mcr\.microsoft\.com\/devcontainers\/(typescript|javascript)-node:1-20-/);
    expect(pkg.engines.node).toMatch(/>=20\./);
    expect(config.postCreateCommand).toContain(`npx -y ${pkg.packageManager} install`);
    expect(Object.keys(config.features)).toContain('ghcr.io/devcontainers/features/azure-cli:1');
  });

  it("forwards the class dashboard's default port", () => {
    expect(config.forwardPorts).toEqual([DEFAULT_PORT]);
  });
});
