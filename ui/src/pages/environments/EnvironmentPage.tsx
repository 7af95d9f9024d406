import { Alert, Box, Button, Chip, Paper, Stack, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../api/client.ts';
import type { Environment } from '../../api/types.ts';
import { LogView, type LogHandle } from '../../components/LogView.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Empty, Loaded } from '../../components/States.tsx';
import { bytes, dateTime } from '../../format.ts';
import { useBuildLog } from '../../hooks/useBuildLog.ts';
import { useEnvironment } from '../../hooks/useEnvironment.ts';
import { t } from '../../strings/index.ts';
import { BuildStatus } from './BuildStatus.tsx';
import { CancelBuildButton, RebuildButton, RemoveButton } from './EnvironmentActions.tsx';

const e = t.environments;

function Details({ env }: { env: Environment }) {
  const rows: Array<[string, React.ReactNode]> = [
    [e.columns.status, <BuildStatus env={env} />],
    [e.repository, env.repo],
    [t.spawn.ref, env.ref],
    [e.commit, env.commit ? <code>{env.commit.slice(0, 12)}</code> : '—'],
    [t.spawn.memory, env.memory ?? t.spawn.defaultLimit],
    [t.spawn.cpu, env.cpu ?? t.spawn.defaultLimit],
    [e.columns.owner, env.owner ?? '—'],
    [e.columns.built, dateTime(env.built_at)],
    [e.columns.size, bytes(env.size)],
    [e.columns.groups, (env.groups ?? []).length ? <Box sx={{ display: 'flex', gap: 0.5, flexWrap: 'wrap' }}>{env.groups!.map((g) => <Chip key={g} size="small" label={g} />)}</Box> : '—'],
  ];
  return (
    <Paper variant="outlined" sx={{ p: 2 }}>
      {env.description && <Typography sx={{ mb: 1.5 }}>{env.description}</Typography>}
      <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'max-content 1fr', columnGap: 2, rowGap: 0.75, '& dt': { color: 'text.secondary' }, '& dd': { m: 0, overflowWrap: 'anywhere' } }}>
        {rows.map(([k, v]) => <Box key={k} sx={{ display: 'contents' }}><dt>{k}</dt><dd>{v}</dd></Box>)}
      </Box>
    </Paper>
  );
}

/** One environment: its details and its build log, live while it builds. */
export default function EnvironmentPage() {
  const { name = '' } = useParams();
  const [generation, setGeneration] = useState(0);
  const log = useRef<LogHandle>(null);
  const write = useCallback((text: string) => log.current?.write(text), []);
  const build = useBuildLog(name, write, generation);
  const env = useEnvironment(name, build.outcome ? 0 : 3000);
  const navigate = useNavigate();
  const notify = useNotify();
  const reload = env.reload;
  // The stream's last word changes the environment (built, size, date): read it again.
  useEffect(() => { if (build.outcome) reload(); }, [build.outcome, reload]);

  if (env.error instanceof ApiError && env.error.status === 404) {
    return <><PageHeader title={name} /><Empty action={<Button component={Link} to="/environments">{t.common.back}</Button>}>{e.notFound(name)}</Empty></>;
  }
  const data = env.data;
  return (
    <>
      <PageHeader title={data?.display_name || name} actions={data && (
        <>
          <CancelBuildButton env={data} done={env.reload} />
          <RebuildButton env={data} done={() => { log.current?.clear(); setGeneration((g) => g + 1); env.reload(); }} />
          <RemoveButton env={data} done={() => { notify(e.removed(name)); navigate('/environments'); }} />
        </>
      )} />
      <Stack spacing={2}>
        <Loaded resource={env}>{(d) => <Details env={d} />}</Loaded>
        {build.outcome && (
          <Alert severity={build.outcome.ok ? 'success' : 'error'} role="status">
            {build.outcome.ok ? e.log.done : e.log.failed(build.outcome.message)}
          </Alert>
        )}
        {build.error && <Alert severity="warning">{build.error.message || e.log.empty}</Alert>}
        <LogView ref={log} label={e.log.title(name)} actions={build.step && !build.outcome
          ? <Typography variant="body2" color="text.secondary">{e.step(build.step.step, build.step.total)}</Typography> : undefined} />
      </Stack>
    </>
  );
}
