import Check from '@mui/icons-material/Check';
import Delete from '@mui/icons-material/DeleteOutlined';
import Edit from '@mui/icons-material/EditOutlined';
import { Box, Chip, IconButton, Link, Stack, Tooltip, Typography } from '@mui/material';
import { Link as RouterLink } from 'react-router';
import { api } from '../../api/client.ts';
import type { ServerSeries, UserModel } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import type { Column } from '../../components/DataTable.tsx';
import { ServerActions } from '../../components/ServerActions.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { config } from '../../config.ts';
import { bytes, fromNow, percent, serverLabel } from '../../format.ts';
import { environmentOf, sortedServers, spawnPath, statusOf } from '../../servers.ts';
import { t } from '../../strings/index.ts';

/** Latest CPU and memory sample per "user/server". */
export type Usage = Map<string, ServerSeries>;

const c = t.users.columns;
export const userPath = (name: string) => `/admin/users/${encodeURIComponent(name)}`;

function Servers({ user, changed }: { user: UserModel; changed: () => void }) {
  const servers = sortedServers(user.servers);
  if (!servers.length) {
    return (
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" color="text.secondary">{t.users.noServer}</Typography>
        <Link component={RouterLink} to={spawnPath(user.name, '')} aria-label={t.users.startServer(user.name)}>{t.common.start}</Link>
      </Stack>
    );
  }
  return (
    <Stack spacing={0.75}>
      {servers.map((s) => (
        <Box key={s.name} sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1 }}>
          <Typography variant="body2" sx={{ minWidth: 56 }}>{serverLabel(s.name)}</Typography>
          <StatusChip status={statusOf(s)} />
          {environmentOf(s) && <Typography variant="body2" color="text.secondary">{environmentOf(s)}</Typography>}
          <ServerActions user={user.name} server={s} changed={changed} compact />
        </Box>
      ))}
    </Stack>
  );
}

function UsageCell({ user, usage }: { user: UserModel; usage: Usage }) {
  const lines = sortedServers(user.servers).filter((s) => statusOf(s) === 'running').map((s) => {
    const sample = usage.get(`${user.name}/${s.name}`)?.samples.at(-1);
    return sample ? `${percent(sample.cpu)} · ${bytes(sample.memory)}` : null;
  }).filter(Boolean);
  if (!lines.length) return <Typography variant="body2" color="text.secondary">—</Typography>;
  return <Stack>{lines.map((l, i) => <Typography key={i} variant="body2" sx={{ whiteSpace: 'nowrap' }}>{l}</Typography>)}</Stack>;
}

export function userColumns(o: { usage: Usage; changed: () => void; deleted: (name: string) => void }): Column<UserModel>[] {
  return [
    { field: 'name', header: c.name, sortKey: 'name', render: (u) => <Link component={RouterLink} to={userPath(u.name)}>{u.name}</Link> },
    {
      field: 'admin', header: c.admin, align: 'center', hideBelow: 'sm',
      render: (u) => (u.admin ? <Tooltip title={t.users.adminYes}><Check aria-label={t.users.adminYes} color="primary" /></Tooltip> : null),
    },
    {
      field: 'groups', header: c.groups, hideBelow: 'md',
      render: (u) => <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>{u.groups.map((g) => <Chip key={g} size="small" label={g} />)}</Box>,
    },
    { field: 'activity', header: c.activity, sortKey: 'last_activity', hideBelow: 'md', render: (u) => fromNow(u.last_activity) },
    { field: 'servers', header: c.servers, render: (u) => <Servers user={u} changed={o.changed} /> },
    { field: 'usage', header: c.usage, hideBelow: 'md', render: (u) => <UsageCell user={u} usage={o.usage} /> },
    {
      field: 'actions', header: c.actions, align: 'right',
      render: (u) => (
        <Stack direction="row" spacing={0.5} sx={{ justifyContent: 'flex-end' }}>
          <Tooltip title={t.users.editUser(u.name)}>
            <IconButton size="small" component={RouterLink} to={userPath(u.name)} aria-label={t.users.editUser(u.name)}><Edit /></IconButton>
          </Tooltip>
          <ConfirmButton label={t.users.deleteUser(u.name)} icon={<Delete />} question={t.users.deleteConfirm(u.name)}
            disabled={u.name === config.user.name} onConfirm={async () => { await api.users.remove(u.name); o.deleted(u.name); }} />
        </Stack>
      ),
    },
  ];
}
