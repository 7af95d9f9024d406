import { z } from 'zod';
import { ApiError } from '../http.ts';

/**
 * The shapes of /hub/api/plasma bodies (docs/plasma-api.md). These check types and keys; what the values
 * mean (a safe URL, a valid ref, a folder name) is checked by the environments domain, which names the field.
 */

const text = z.string().nullish();
const number = z.union([z.string(), z.number()]).nullish();
const args = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();

export const addEnvironmentBody = z.strictObject({
  repo: z.string({ error: (i) => (i.input === undefined ? 'repo is required: a git repository URL' : 'repo must be a string') }),
  ref: text,
  name: text,
  display_name: text,
  description: text,
  memory: number,
  cpu: number,
  buildargs: args,
  build_args: args,
  username: text,
  password: text,
  /** tljh-repo2docker's form sends it; Plasma has one node. */
  node_selector: z.unknown().optional(),
});

export const rebuildBody = z.strictObject({ username: text, password: text, no_cache: z.boolean().optional() });

export const groupsBody = z.strictObject({ groups: z.array(z.string()).min(1, 'groups must name at least one group') });

export type AddEnvironmentBody = z.infer<typeof addEnvironmentBody>;

/** Parses a body with a schema; the first problem becomes a 400 that names its field. */
export function parseBody<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new ApiError(400, `unknown fields: ${issue.keys.join(', ')}`, { field: issue.keys[0] });
  }
  const field = issue.path.map(String).join('.');
  if (!field) throw new ApiError(400, 'the body must be a JSON object');
  throw new ApiError(400, issue.message.startsWith(field) ? issue.message : `${field}: ${issue.message}`, { field: String(issue.path[0]) });
}
