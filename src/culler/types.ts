// No imports: the web UI reads this type too.

/** When a running server will be stopped, and why: what the warning in the user's frame shows. */
export interface CullStatus {
  /** ISO time of the stop, or null when the culler will not stop it. */
  stops_at: string | null;
  seconds_left: number | null;
  reason: 'idle' | 'max_age' | null;
  /** True within culler.warning_seconds of the stop. */
  warning: boolean;
  /** How long before the stop the warning begins (so the UI knows when to look again). */
  warning_seconds: number;
  last_activity: string | null;
  idle_timeout: number;
  max_age: number;
  /** A culled named server is removed, not only stopped. */
  removes: boolean;
}
