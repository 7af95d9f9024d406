/**
 * The systemd units `plasma install` writes where systemd runs (deploy/systemd/ holds them rendered for
 * /opt/plasma). They run the release app/current points at; the proxy's reload is a handover to a new
 * process, which announces itself as the main one (Type=notify, NotifyAccess=all).
 */
import { HUB_NODE_FLAGS } from '../system/runtime.ts';

export interface UnitOptions {
  prefix: string;
  node: string;
  /** The hub's malloc (hubAllocator()); null keeps glibc's. */
  allocator: string | null;
}

export function units({ prefix, node, allocator }: UnitOptions): Record<string, string> {
  const bin = `${prefix}/app/current/bin/plasma.mjs`;
  const preload = allocator ? `# jemalloc gives freed memory back to the system; glibc's malloc kept it (drop this line to use glibc's).
Environment=LD_PRELOAD=${allocator}
` : '';
  return {
    'plasma-proxy.service': `# The proxy is its own service so students' traffic keeps flowing while the hub restarts or upgrades.
[Unit]
Description=Plasma proxy (configurable-http-proxy compatible)
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
NotifyAccess=all
Environment=PLASMA_PREFIX=${prefix}
ExecStart=${node} ${bin} proxy
# A new process takes the listening sockets over (new code, new certificates); the old one drains and exits.
ExecReload=/bin/kill -USR2 $MAINPID
KillMode=process
Restart=always
RestartSec=1
NoNewPrivileges=yes

[Install]
WantedBy=multi-user.target
`,
    'plasma-hub.service': `[Unit]
Description=Plasma hub (login, REST API, spawner, environment builds)
After=network-online.target plasma-proxy.service docker.service
Wants=plasma-proxy.service

[Service]
Type=notify
NotifyAccess=all
Environment=PLASMA_PREFIX=${prefix}
${preload}ExecStart=${node} ${HUB_NODE_FLAGS.join(' ')} ${bin} hub
# A new hub (new code) takes the listening socket over once this one has shut down; requests wait, none fail.
ExecReload=/bin/kill -USR2 $MAINPID
Restart=always
RestartSec=1
# Stop only the hub process: user servers started by the local spawner live in their own process
# groups and must survive hub restarts (Docker containers are outside this unit anyway).
KillMode=process
TimeoutStopSec=30

[Install]
WantedBy=multi-user.target
`,
    'plasma-backup.service': `[Unit]
Description=Plasma: back up the database, config and secrets (and user data when a restic repository is set)

[Service]
Type=oneshot
Environment=PLASMA_PREFIX=${prefix}
ExecStart=${node} ${bin} backup --scheduled
`,
    'plasma-backup.timer': `[Unit]
Description=Daily Plasma backup

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`,
  };
}
