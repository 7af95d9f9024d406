import { Box, Button, Paper, Stack, Typography } from '@mui/material';
import { useEffect, useRef } from 'react';
import { useParams } from 'react-router';
import { LogView, type LogHandle } from '../../components/LogView.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Empty, Failed } from '../../components/States.tsx';
import { serverLabel } from '../../format.ts';
import { useServerLogs } from '../../hooks/useServerLogs.ts';
import { useServerStats } from '../../hooks/useServerStats.ts';
import { t } from '../../strings/index.ts';
import { UsageChart } from './charts.tsx';

const m = t.monitoring;

/** One running server: larger charts of the last hour, and the tail of its logs. */
export default function ServerMonitorPage() {
  const { user = '', server = '' } = useParams();
  const stats = useServerStats(false, 5000);
  const logs = useServerLogs(user, server);
  const view = useRef<LogHandle>(null);
  const series = stats.data?.servers.find((s) => s.user === user && s.server === server);
  const span = (stats.data?.history_minutes ?? 60) * 60_000;
  const interval = (stats.data?.interval ?? 10) * 1000;

  useEffect(() => {
    if (logs.data === undefined) return;
    view.current?.clear();
    view.current?.write(logs.data);
  }, [logs.data]);

  return (
    <>
      <PageHeader title={`${user} · ${serverLabel(server)}`} />
      <Stack spacing={2}>
        {series ? (
          <Paper variant="outlined" sx={{ p: 2 }}>
            <Box sx={{ display: 'grid', gap: 3, gridTemplateColumns: { md: '1fr 1fr' } }}>
              <Box><Typography variant="h3" component="h2" sx={{ mb: 1 }}>{m.cpu}</Typography><UsageChart series={series} what="cpu" historyMs={span} intervalMs={interval} width={420} height={120} /></Box>
              <Box><Typography variant="h3" component="h2" sx={{ mb: 1 }}>{m.memory}</Typography><UsageChart series={series} what="memory" historyMs={span} intervalMs={interval} width={420} height={120} /></Box>
            </Box>
          </Paper>
        ) : stats.data && <Empty>{m.empty}</Empty>}
        {logs.error && <Failed error={logs.error} retry={logs.reload} />}
        <LogView ref={view} label={m.logsOf(user, serverLabel(server))} actions={<Button size="small" onClick={logs.reload}>{m.refresh}</Button>} />
      </Stack>
    </>
  );
}
