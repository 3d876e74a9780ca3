// RBAC holds: the graders' way to make one principal's role assignments "not yet in effect" for a
// few seconds while a learner's code runs, so that the code meets what a new assignment does on
// Azure while it propagates (403 AuthorizationFailed for up to about 10 minutes: Microsoft Learn,
// "Troubleshoot Azure RBAC", "Symptom - Role assignment changes are not being detected") even
// when the learner granted the role long before grading. Opened and closed through the profile
// admin endpoint (profiles.ts, `{"scope": {"rbacHold": …}}`), evaluated by rbac.ts's isEffective.
//
// The window starts the first time RBAC is evaluated for the principal after the hold is opened
// (its first ARM request), not when it is opened: the learner's program takes a second or two to
// start, and the time it must wait out should not depend on that. A hold names a principal by its
// object id; it lives in this process (not in the persisted world, and not in the profile), ends
// after its time to live when its opener never closes it, and changes nothing else. Each emulator
// has its own holds (its ProfileState's, passed to RBAC through the ArmContext): in a process
// running several emulators (tests, which seed the same principal ids) a hold reaches only the
// emulator it was opened on.

/** How long a hold lives when its opener does not close it (a grader killed with SIGKILL). */
export const RBAC_HOLD_TTL_SECONDS = 120;
/** The longest window a hold may have. */
export const RBAC_HOLD_MAX_SECONDS = 60;

interface Hold {
  readonly principalId: string;
  readonly seconds: number;
  /** When the window started (the principal's first evaluation after opening), if it has. */
  startedAt: number | undefined;
  readonly expires: number;
}

/** What RBAC asks of the holds (rbac.ts's isEffective). */
export interface RbacHoldView {
  /**
   * Until when (epoch ms) `principalId`'s assignments are held back, or `undefined` when no hold
   * names it; the first call for a principal starts the window of every hold that names it.
   */
  heldUntil(principalId: string, now?: number): number | undefined;
}

/** One emulator's RBAC holds. */
export class RbacHolds implements RbacHoldView {
  readonly #holds = new Map<string, Hold>();

  #sweep(now: number): void {
    for (const [id, hold] of this.#holds) if (hold.expires <= now) this.#holds.delete(id);
  }

  /** Opens a hold: `principalId`'s assignments are not in effect for `seconds` from its first evaluation. */
  open(id: string, principalId: string, seconds: number, ttlSeconds: number, now: number = Date.now()): void {
    this.#sweep(now);
    this.#holds.set(id, { principalId: principalId.toLowerCase(), seconds, startedAt: undefined, expires: now + ttlSeconds * 1000 });
  }

  /** Ends a hold; `false` when there was none of that id. */
  close(id: string): boolean {
    return this.#holds.delete(id);
  }

  /** Whether a hold of that id is open. */
  has(id: string): boolean {
    this.#sweep(Date.now());
    return this.#holds.has(id);
  }

  heldUntil(principalId: string, now: number = Date.now()): number | undefined {
    if (this.#holds.size === 0) return undefined;
    const oid = principalId.toLowerCase();
    let until: number | undefined;
    for (const [id, hold] of this.#holds) {
      if (hold.expires <= now) {
        this.#holds.delete(id);
        continue;
      }
      if (hold.principalId !== oid) continue;
      hold.startedAt ??= now;
      const end = hold.startedAt + hold.seconds * 1000;
      if (until === undefined || end > until) until = end;
    }
    return until;
  }
}
