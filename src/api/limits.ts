import { chunksOf, yieldToLoop } from '../db/chunks.ts';
import { ApiError } from './http.ts';

/**
 * How much one request may ask for (README: "Limits"). Within them the work runs in slices (db/chunks.ts), so
 * other requests keep being answered; beyond them the answer is a 400 that names the limit, and nothing changes.
 */
export const LIMITS = {
  /** Names in one POST /users, POST /groups (`groups` and `users`) or group-membership change. */
  namesPerRequest: 10_000,
  /** Memberships one POST /groups may write (groups × users). */
  membershipsPerRequest: 100_000,
} as const;

export function checkNameCount(list: unknown[], what: string): void {
  if (list.length > LIMITS.namesPerRequest) {
    throw new ApiError(400, `Too many ${what}: ${list.length} in one request, at most ${LIMITS.namesPerRequest}; send the rest in another request`,
      { limit: LIMITS.namesPerRequest });
  }
}

export function checkMembershipCount(groups: number, users: number): void {
  if (groups * users > LIMITS.membershipsPerRequest) {
    throw new ApiError(400, `Too many memberships: ${groups} groups × ${users} users in one request, at most ${LIMITS.membershipsPerRequest}; add members in smaller requests`,
      { limit: LIMITS.membershipsPerRequest });
  }
}

/** Models made and serialised a slice at a time: a list of thousands is JSON text without one long pause. */
export async function jsonListInSlices<T>(rows: readonly T[], toModel: (row: T) => unknown): Promise<string> {
  const parts: string[] = [];
  for (const [i, slice] of chunksOf(rows, 500).entries()) {
    if (i > 0) await yieldToLoop();
    parts.push(slice.map((row) => JSON.stringify(toModel(row))).join(','));
  }
  return `[${parts.join(',')}]`;
}
