import Article from '@mui/icons-material/ArticleOutlined';
import { Alert, IconButton, Link, Tooltip, Typography } from '@mui/material';
import { Link as RouterLink } from 'react-router';
import type { ServerSeries } from '../../api/types.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { serverLabel } from '../../format.ts';
import { useServerStats } from '../../hooks/useServerStats.ts';
import { t } from '../../strings/index.ts';
import { UsageChart } from './charts.tsx';
import { HostCards } from './HostCards.tsx';

const m = t.monitoring;
export const monitorPath = (s: { user: string; server: string }) =>
  `/monitoring/${encodeURIComponent(s.user)}${s.server ? `/${encodeURIComponent(s.server)}` : ''}`;

/** What Plasma's admins used Cockpit for: the host, and each running server's CPU and memory over the last hour. */
export default function MonitoringPage() {
  const stats = useServerStats(false, 5000);
  const span = (stats.data?.history_minutes ?? 60) * 60_000;
  const interval = (stats.data?.interval ?? 10) * 1000;
  const columns: Column<ServerSeries>[] = [
    {
      field: 'server', header: m.columns.server,
      render: (s) => <Link component={RouterLink} to={monitorPath(s)}>{s.user} · {serverLabel(s.server)}</Link>,
    },
    { field: 'environment', header: m.columns.environment, hideBelow: 'md', render: (s) => s.environment ?? '—' },
    { field: 'cpu', header: m.columns.cpu, render: (s) => <UsageChart series={s} what="cpu" historyMs={span} intervalMs={interval} /> },
    { field: 'memory', header: m.columns.memory, hideBelow: 'sm', render: (s) => <UsageChart series={s} what="memory" historyMs={span} intervalMs={interval} /> },
    {
      field: 'actions', header: m.columns.actions, align: 'right',
      render: (s) => (
        <Tooltip title={`${m.logs}: ${s.user}`}>
          <IconButton size="small" component={RouterLink} to={monitorPath(s)} aria-label={m.logsOf(s.user, serverLabel(s.server))}><Article /></IconButton>
        </Tooltip>
      ),
    },
  ];
  return (
    <>
      <PageHeader title={m.title} />
      <Typography variant="h2" sx={{ mb: 1.5 }}>{m.host}</Typography>
      <HostCards />
      <Typography variant="h2" sx={{ mb: 0.5 }}>{m.servers}</Typography>
      {stats.data && !stats.data.enabled && <Alert severity="info" sx={{ mb: 1 }}>{m.disabled}</Alert>}
      {stats.data && <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5 }}>{m.sampling(stats.data.interval)}</Typography>}
      <DataTable label={m.servers} rows={stats.data?.servers} rowKey={(s) => `${s.user}/${s.server}`} columns={columns}
        loading={stats.loading} error={stats.error} retry={stats.reload} empty={m.empty} />
    </>
  );
}
