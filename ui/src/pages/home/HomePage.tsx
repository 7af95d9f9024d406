import { Button } from '@mui/material';
import { Link } from 'react-router';
import type { ServerModel } from '../../api/types.ts';
import { Announcement } from '../../components/Announcement.tsx';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ServerActions } from '../../components/ServerActions.tsx';
import { Empty, Loaded } from '../../components/States.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { config } from '../../config.ts';
import { fromNow, serverLabel } from '../../format.ts';
import { useUser } from '../../hooks/useUser.ts';
import { environmentOf, sortedServers, statusOf } from '../../servers.ts';
import { t } from '../../strings/index.ts';

/** What a student sees first: their servers, and a way to start one. */
export default function HomePage() {
  const me = config.user.name;
  const user = useUser(me, 5000);
  const columns: Column<ServerModel>[] = [
    { field: 'name', header: t.home.columns.server, render: (s) => serverLabel(s.name) },
    { field: 'environment', header: t.home.columns.environment, render: (s) => environmentOf(s) || '—', hideBelow: 'sm' },
    { field: 'status', header: t.home.columns.status, render: (s) => <StatusChip status={statusOf(s)} /> },
    { field: 'activity', header: t.home.columns.activity, render: (s) => fromNow(s.last_activity), hideBelow: 'md' },
    { field: 'actions', header: t.home.columns.actions, render: (s) => <ServerActions user={me} server={s} changed={user.reload} /> },
  ];
  const start = <Button variant="contained" component={Link} to="/spawn">{config.named_servers.enabled ? t.home.newServer : t.home.startFirst}</Button>;
  return (
    <>
      <PageHeader title={t.home.title} actions={start} />
      <Announcement />
      <Loaded resource={user}>
        {(u) => {
          const servers = sortedServers(u.servers);
          return servers.length === 0
            ? <Empty action={start}>{t.home.empty}</Empty>
            : <DataTable label={t.home.title} rows={servers} rowKey={(s) => s.name} columns={columns} empty={t.home.empty} />;
        }}
      </Loaded>
    </>
  );
}
