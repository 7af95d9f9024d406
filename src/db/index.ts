export * from './schema.ts';
export { copyDatabase, openDatabase, openSnapshot, type OpenedDatabase, type OpenOptions } from './open.ts';
export { Repo, hashSecret, type UserRow, type GroupRow, type ServerRow, type TokenRow, type OAuthClientRow, type SessionRow } from './repo.ts';
export { nowIso, toJupyterTime } from './time.ts';
export { MIGRATIONS } from './migrations/index.ts';
export { EnvironmentRepo, type BuildRow, type BuildSummary } from './environments-repo.ts';
export { UserDiskRepo, type UserDiskRow } from './users-disk-repo.ts';
export { ServersBulkRepo, type GoneServer } from './servers-bulk-repo.ts';
export { USER_SORTS, type UserSort, type UserState, type Visibility } from './listing.ts';
