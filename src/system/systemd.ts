import { execFile } from 'node:child_process';

/**
 * Tells systemd about this service when it runs under it (Type=notify, NotifyAccess=all): READY once
 * listening, and MAINPID when a new process takes a service over (the proxy's handover), so systemd follows
 * the new process instead of stopping the unit when the old one exits. Nothing happens outside systemd.
 */
export function notifySystemd(fields: Record<string, string>): void {
  if (!process.env.NOTIFY_SOCKET) return;
  const args = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  execFile('systemd-notify', [`--pid=${process.pid}`, ...args], () => undefined);
}
