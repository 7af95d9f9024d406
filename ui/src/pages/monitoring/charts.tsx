import { Box, Typography } from '@mui/material';
import type { ServerSeries } from '../../api/types.ts';
import { Sparkline } from '../../components/Sparkline.tsx';
import { bytes, percent } from '../../format.ts';
import { t } from '../../strings/index.ts';

const m = t.monitoring;

/**
 * CPU (% of one core) or memory of one server, with its latest value. The x axis covers the samples there are (at
 * least 20 of them, at most the kept history), so a server started a minute ago does not look like an empty hour.
 */
export function UsageChart({ series, what, historyMs, intervalMs, width, height }: {
  series: ServerSeries; what: 'cpu' | 'memory'; historyMs: number; intervalMs: number; width?: number; height?: number;
}) {
  const points = series.samples.map((s): [number, number] => [Date.parse(s.t), what === 'cpu' ? s.cpu : s.memory]);
  const covered = points.length ? points[points.length - 1][0] - points[0][0] : 0;
  const spanMs = Math.min(historyMs, Math.max(20 * intervalMs, covered));
  const last = points.at(-1)?.[1];
  const text = last === undefined ? m.noSamples : what === 'cpu' ? percent(last) : bytes(last);
  const max = what === 'cpu' ? 100 : series.memory_limit ?? 0;
  const name = what === 'cpu' ? m.cpu : m.memory;
  return (
    <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5 }}>
      <Sparkline points={points} spanMs={spanMs} max={max} width={width} height={height} color={what === 'cpu' ? 'primary' : 'secondary'}
        label={`${m.chartLabel(name, series.user)}: ${m.now(text)}`} />
      <Typography variant="body2" sx={{ minWidth: 64, whiteSpace: 'nowrap' }}>{text}</Typography>
    </Box>
  );
}
