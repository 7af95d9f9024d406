import { Box, useTheme } from '@mui/material';

interface Props {
  /** [time ms, value] pairs, oldest first. */
  points: Array<[number, number]>;
  /** The time span the x axis covers, ending now. */
  spanMs: number;
  /** Top of the y axis (e.g. 100 % or the memory limit); the largest value when higher. */
  max: number;
  label: string;
  width?: number;
  height?: number;
  color?: 'primary' | 'secondary';
}

/**
 * A small line chart in plain SVG: one circle per sample, so each point can be counted and read (its <title>).
 * A charting library would weigh more than the whole monitoring page.
 */
export function Sparkline({ points, spanMs, max, label, width = 180, height = 44, color = 'primary' }: Props) {
  const theme = useTheme();
  const stroke = theme.vars?.palette[color].main ?? theme.palette[color].main;
  const now = points.length ? points[points.length - 1][0] : Date.now();
  const top = Math.max(max, ...points.map((p) => p[1])) || 1;
  const pad = 3;
  const x = (t: number) => pad + ((width - 2 * pad) * (t - (now - spanMs))) / spanMs;
  const y = (v: number) => height - pad - ((height - 2 * pad) * v) / top;
  const line = points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  return (
    <Box component="svg" role="img" aria-label={label} viewBox={`0 0 ${width} ${height}`} width={width} height={height}
      sx={{ display: 'block', bgcolor: 'action.hover', borderRadius: 1, maxWidth: '100%' }}>
      <title>{label}</title>
      {points.length > 1 && <polyline points={line} fill="none" stroke={stroke} strokeWidth={1.5} />}
      {points.map(([t, v]) => (
        <circle key={t} data-point="" cx={x(t)} cy={y(v)} r={1.8} fill={stroke} />
      ))}
    </Box>
  );
}
