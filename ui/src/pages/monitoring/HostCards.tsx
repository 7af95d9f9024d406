import { Box, LinearProgress, Paper, Typography } from '@mui/material';
import type { HostStats } from '../../api/types.ts';
import { Failed, Loading } from '../../components/States.tsx';
import { bytes, percent } from '../../format.ts';
import { useHostStats } from '../../hooks/useHostStats.ts';
import { t } from '../../strings/index.ts';

const m = t.monitoring;

function Card({ title, value, share, detail }: { title: string; value: string; share: number; detail: string }) {
  return (
    <Paper variant="outlined" component="section" aria-label={title} sx={{ p: 2 }}>
      <Typography variant="h3" component="h3" color="text.secondary">{title}</Typography>
      <Typography sx={{ fontSize: '1.6rem', fontWeight: 600 }}>{value}</Typography>
      <LinearProgress variant="determinate" value={Math.min(100, share)} aria-label={`${title}: ${value}`} sx={{ my: 1, height: 8, borderRadius: 4 }}
        color={share > 90 ? 'error' : share > 75 ? 'warning' : 'primary'} />
      <Typography variant="body2" color="text.secondary">{detail}</Typography>
    </Paper>
  );
}

function Cards({ host }: { host: HostStats }) {
  const usedMemory = host.memory.total - host.memory.available;
  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(240px, 1fr))', mb: 3 }}>
      <Card title={m.cpu} value={percent(host.cpu.percent)} share={host.cpu.percent} detail={`${m.cores(host.cpu.cores)} · ${m.load(host.cpu.load)}`} />
      <Card title={m.memory} value={percent((100 * usedMemory) / host.memory.total)} share={(100 * usedMemory) / host.memory.total}
        detail={m.used(bytes(usedMemory), bytes(host.memory.total))} />
      {host.disks.map((d) => (
        <Card key={d.path} title={m.disk(d.path)} value={percent((100 * (d.total - d.available)) / d.total)} share={(100 * (d.total - d.available)) / d.total}
          detail={m.used(bytes(d.total - d.available), bytes(d.total))} />
      ))}
    </Box>
  );
}

/** The host's CPU, memory and disks, refreshed every few seconds. */
export function HostCards() {
  const host = useHostStats(5000);
  if (host.error && !host.data) return <Failed error={host.error} retry={host.reload} />;
  if (!host.data) return <Loading />;
  return <Cards host={host.data} />;
}
