// The class principals admin endpoint (`/_milab/principals`, guarded by the admin key like the
// profile): an instructor's tooling makes one application service principal per learner, each
// signing in with its own client secret at the emulated Entra token endpoint. The principals
// live in the world (kind `application`, `createdVia: 'admin'`), so RBAC sees them like any
// other; their secrets live in principal-secrets.json (secrets.ts), never in the world or a log.
import { randomUUID } from 'node:crypto';
import { ADMIN_PRINCIPALS_PATH } from '@milab/common';
import { z } from 'zod';
import type { Reply } from '../http.js';
import type { Principal, WorldState } from '../model.js';
import { classSecretsOf, newSecret, type ClassSecrets, type Secrets } from '../secrets.js';
import type { Store } from '../store.js';
import { describeIssues } from '../state-error.js';

// The path is part of the contract with the emulator's clients: defined in @milab/common (admin.ts).
export { ADMIN_PRINCIPALS_PATH };

/** A class principal as the endpoint returns it (with its secret: the answer is as secret as connection.json). */
export interface ClassPrincipal {
  name: string;
  displayName: string;
  /** Application (client) id: AZURE_CLIENT_ID. */
  clientId: string;
  /** Object id of the service principal: the `principalId` of its role assignments. */
  objectId: string;
  clientSecret: string;
  tags: Record<string, string>;
}

/** What POST on `/_milab/principals` takes; GET lists every class principal. */
export type AdminPrincipalsRequest =
  | { ensure: { name: string; displayName: string; tags?: Record<string, string> }[] }
  | { list: { tags?: Record<string, string> } }
  | { delete: string[] };

export type AdminPrincipalsAnswer = { principals: ClassPrincipal[] } | { deleted: string[] };

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
/** Enough for a large class; a bigger request is a mistake, refused before anything changes. */
const MAX_PER_REQUEST = 1000;

const name = z.string().regex(NAME, 'a name is 1 to 64 letters, digits, dots, underscores or hyphens');
// ARM's tag limits (50 tags, names up to 512 characters, values up to 256): the tags mirror the
// learner's resource group's.
const tags = z
  .record(z.string().min(1).max(512), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');
/** One schema per verb, so a refusal names what is wrong with the verb sent. */
const verbs = {
  ensure: z
    .array(z.strictObject({ name, displayName: z.string().trim().min(1, 'displayName must not be empty').max(256), tags: tags.optional() }))
    .min(1, 'ensure needs at least one principal')
    .max(MAX_PER_REQUEST),
  list: z.strictObject({ tags: tags.optional() }),
  delete: z.array(name).max(MAX_PER_REQUEST),
};
type Verb = keyof typeof verbs;

const USAGE = 'POST {"ensure": [{"name", "displayName", "tags"?}]}, {"list": {"tags"?: {...}}} or {"delete": ["<name>", ...]}; GET lists them all.';

function invalid(message: string): Reply {
  return { status: 400, body: { error: { code: 'InvalidRequestContent', message: `${message}. ${USAGE}` } } };
}

/** The class principals of the world, by name. */
function classPrincipals(state: Readonly<WorldState>): Map<string, Principal> {
  const byName = new Map<string, Principal>();
  for (const p of Object.values(state.principals)) if (p.createdVia === 'admin' && p.name) byName.set(p.name.toLowerCase(), p);
  return byName;
}

function toAnswer(p: Principal, secret: string): ClassPrincipal {
  return { name: p.name ?? '', displayName: p.displayName, clientId: p.appId, objectId: p.objectId, clientSecret: secret, tags: { ...(p.tags ?? {}) } };
}

function tagsMatch(p: Principal, wanted: Record<string, string> | undefined): boolean {
  if (!wanted) return true;
  const have = new Map(Object.entries(p.tags ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(wanted).every(([k, v]) => have.get(k.toLowerCase()) === v);
}

function ensure(store: Store, secrets: ClassSecrets, wanted: { name: string; displayName: string; tags?: Record<string, string> }[]): Reply {
  const seen = new Set<string>();
  for (const w of wanted) {
    if (seen.has(w.name.toLowerCase())) return invalid(`ensure names '${w.name}' twice`);
    seen.add(w.name.toLowerCase());
  }
  const existing = classPrincipals(store.state);
  const fresh: Principal[] = [];
  const newSecrets = new Map<string, string>();
  const result: Principal[] = wanted.map((w) => {
    const found = existing.get(w.name.toLowerCase());
    if (found) {
      // Unchanged, same secret; one whose secret was lost (principal-secrets.json removed by
      // hand) gets a new one rather than a principal nobody can sign in as.
      if (!secrets.get(found.objectId)) newSecrets.set(found.objectId, newSecret());
      return found;
    }
    const p: Principal = {
      objectId: randomUUID(),
      appId: randomUUID(),
      displayName: w.displayName,
      kind: 'application',
      createdVia: 'admin',
      name: w.name,
      tags: { ...(w.tags ?? {}) },
      createdAt: new Date().toISOString(),
    };
    fresh.push(p);
    newSecrets.set(p.objectId, newSecret());
    return p;
  });
  if (newSecrets.size > 0) {
    // The secret first: a principal in the world without one could not sign in, a secret
    // without its principal is dropped by the next write (`keep`).
    const world = store.state;
    secrets.update({ set: newSecrets, keep: (oid) => newSecrets.has(oid) || world.principals[oid]?.createdVia === 'admin' });
  }
  if (fresh.length > 0) {
    store.mutate((draft) => {
      for (const p of fresh) draft.principals[p.objectId] = p;
    });
  }
  return { status: 200, body: { principals: result.map((p) => toAnswer(p, secrets.get(p.objectId) ?? '')) } };
}

function remove(store: Store, secrets: ClassSecrets, names: string[]): Reply {
  const existing = classPrincipals(store.state);
  const gone = [...new Set(names.map((n) => n.toLowerCase()))].map((n) => existing.get(n)).filter((p): p is Principal => p !== undefined);
  if (gone.length > 0) {
    // Role assignments naming them stay behind, orphaned, as in Azure (directory.ts).
    store.mutate((draft) => {
      for (const p of gone) delete draft.principals[p.objectId];
    });
    const world = store.state;
    secrets.update({ remove: gone.map((p) => p.objectId), keep: (oid) => world.principals[oid]?.createdVia === 'admin' });
  }
  return { status: 200, body: { deleted: gone.map((p) => p.name ?? '') } };
}

function list(store: Store, secrets: ClassSecrets, wanted?: Record<string, string>): Reply {
  const found = [...classPrincipals(store.state).values()].filter((p) => tagsMatch(p, wanted));
  found.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
  return { status: 200, body: { principals: found.map((p) => toAnswer(p, secrets.get(p.objectId) ?? '')) } };
}

/** The reply of `/_milab/principals` (the caller has checked the admin key). */
export function principalsAdminReply(store: Store, seeded: Secrets, method: string, body: string): Reply {
  const secrets = classSecretsOf(seeded);
  if (!secrets) return { status: 500, body: { error: { code: 'InternalServerError', message: 'The class principals secrets are not loaded.' } } };
  const reply = answer(store, secrets, method, body);
  // The answer holds client secrets.
  return { ...reply, headers: { 'cache-control': 'no-store', ...reply.headers } };
}

function answer(store: Store, secrets: ClassSecrets, method: string, body: string): Reply {
  if (method === 'GET') return list(store, secrets);
  if (method !== 'POST') return { status: 405, body: { error: { code: 'MethodNotAllowed', message: `Use GET or POST on ${ADMIN_PRINCIPALS_PATH}, not ${method}.` } } };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return invalid('The body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return invalid('The body is not a JSON object');
  const keys = Object.keys(parsed);
  const verb = keys.length === 1 ? keys[0] : undefined;
  if (verb === undefined || !Object.hasOwn(verbs, verb)) return invalid(`The body has ${keys.length === 0 ? 'no field' : `the field(s) ${keys.map((k) => `'${k}'`).join(', ')}`}: it needs exactly one of ensure, list, delete`);
  const value = (parsed as Record<string, unknown>)[verb];
  switch (verb as Verb) {
    case 'ensure': {
      const r = verbs.ensure.safeParse(value);
      return r.success ? ensure(store, secrets, r.data) : invalid(`ensure: ${describeIssues(r.error)}`);
    }
    case 'delete': {
      const r = verbs.delete.safeParse(value);
      return r.success ? remove(store, secrets, r.data) : invalid(`delete: ${describeIssues(r.error)}`);
    }
    default: {
      const r = verbs.list.safeParse(value);
      return r.success ? list(store, secrets, r.data.tags) : invalid(`list: ${describeIssues(r.error)}`);
    }
  }
}

/** After a reset of the world: its class principals are gone, and so are their secrets. */
export function forgetClassPrincipals(seeded: Secrets): void {
  classSecretsOf(seeded)?.clear();
}
