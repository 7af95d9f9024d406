import type { Migration } from 'kysely';
import * as m001 from './001_initial.ts';
import * as m002 from './002_sessions_and_logins.ts';
import * as m003 from './003_environment_builds.ts';
import * as m004 from './004_users_disk.ts';
import * as m005 from './005_listing_indexes.ts';
import * as m006 from './006_identity_version.ts';

/** Numbered, forward-only. Never edit a released migration: add the next number. */
export const MIGRATIONS: Record<string, Migration> = {
  '001_initial': m001,
  '002_sessions_and_logins': m002,
  '003_environment_builds': m003,
  '004_users_disk': m004,
  '005_listing_indexes': m005,
  '006_identity_version': m006,
};
