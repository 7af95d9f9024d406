import { Box, Chip, LinearProgress, Typography } from '@mui/material';
import type { Environment } from '../../api/types.ts';
import { t } from '../../strings/index.ts';

const e = t.environments;

/** What the environment's last build is doing, with its step count while it runs. */
export function BuildStatus({ env }: { env: Environment }) {
  const build = env.build;
  const running = build && (build.status === 'building' || build.status === 'queued');
  if (running) {
    const progress = build.progress && build.progress.total ? (100 * build.progress.step) / build.progress.total : null;
    return (
      <Box sx={{ minWidth: 140 }}>
        <Chip size="small" color="info" label={build.status === 'queued' ? e.queued(build.queue_position) : e.status.building} />
        {build.status === 'building' && (
          <>
            <LinearProgress sx={{ mt: 0.75 }} variant={progress === null ? 'indeterminate' : 'determinate'} value={progress ?? 0}
              aria-label={`${env.display_name || env.name}: ${e.status.building}`} />
            {build.progress && <Typography variant="caption" color="text.secondary">{e.step(build.progress.step, build.progress.total)}</Typography>}
          </>
        )}
      </Box>
    );
  }
  if (env.status === 'built') return <Chip size="small" color="success" label={e.status.built} />;
  if (env.status === 'failed') return <Chip size="small" color="error" label={e.status.failed} />;
  return <Chip size="small" label={e.status[env.status] ?? env.status} />;
}

export const isBuilding = (env: Environment) => !!env.build && (env.build.status === 'building' || env.build.status === 'queued');
