import { Box, Button, Card, CardActions, CardContent, Link, Typography } from '@mui/material';
import type { Environment } from '../../api/types.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { Empty } from '../../components/States.tsx';
import { config } from '../../config.ts';
import { dateTime } from '../../format.ts';
import { t } from '../../strings/index.ts';

interface Props {
  environments: Environment[];
  busy: string | null;
  onStart: (env: Environment | null) => void;
}

const s = t.spawn;

/** A repository URL as a link only when it is a web address (local paths are shown as text). */
function RepoLink({ repo }: { repo: string }) {
  if (!/^https?:\/\//.test(repo)) return <>{repo}</>;
  return <Link href={repo} target="_blank" rel="noreferrer noopener">{repo.replace(/^https?:\/\//, '')}</Link>;
}

const limits = (e: Environment) => `${e.memory ?? s.defaultLimit} · ${e.cpu ?? s.defaultLimit}`;

function StartButton({ env, busy, onStart }: { env: Environment | null; busy: string | null; onStart: Props['onStart'] }) {
  const key = env?.name ?? '';
  return (
    <Button variant="contained" onClick={() => onStart(env)} disabled={busy !== null}
      aria-label={`${s.start} ${env?.display_name || env?.name || s.defaultEnvironment}`}>
      {busy === key ? s.starting : s.start}
    </Button>
  );
}

/** With no environment to choose: the hub's default start where it has one, else why there is nothing. */
function NoChoice({ busy, onStart }: Omit<Props, 'environments'>) {
  if (config.needs_environment) return <Empty>{s.noEnvironments}</Empty>;
  return <DefaultChoice busy={busy} onStart={onStart} />;
}

export function EnvironmentCards({ environments, busy, onStart }: Props) {
  if (!environments.length) return <NoChoice busy={busy} onStart={onStart} />;
  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(280px, 1fr))' }}>
      {environments.map((e) => (
        <Card key={e.name} variant="outlined" component="section" aria-label={e.display_name || e.name} sx={{ display: 'flex', flexDirection: 'column' }}>
          <CardContent sx={{ flexGrow: 1 }}>
            <Typography variant="h2" sx={{ mb: 1 }}>{e.display_name || e.name}</Typography>
            {e.description && <Typography color="text.secondary" sx={{ mb: 1.5 }}>{e.description}</Typography>}
            <Box component="dl" sx={{ m: 0, display: 'grid', gridTemplateColumns: 'auto 1fr', columnGap: 1.5, rowGap: 0.5, fontSize: '0.9rem', '& dt': { color: 'text.secondary' }, '& dd': { m: 0, overflowWrap: 'anywhere' } }}>
              <dt>{s.repository}</dt><dd><RepoLink repo={e.repo} /></dd>
              <dt>{s.ref}</dt><dd>{e.ref}</dd>
              <dt>{s.memory}</dt><dd>{e.memory ?? s.defaultLimit}</dd>
              <dt>{s.cpu}</dt><dd>{e.cpu ?? s.defaultLimit}</dd>
              <dt>{s.built}</dt><dd>{dateTime(e.built_at)}</dd>
            </Box>
          </CardContent>
          <CardActions sx={{ px: 2, pb: 2 }}><StartButton env={e} busy={busy} onStart={onStart} /></CardActions>
        </Card>
      ))}
    </Box>
  );
}

export function EnvironmentTable({ environments, busy, onStart }: Props) {
  if (!environments.length) return <NoChoice busy={busy} onStart={onStart} />;
  const columns: Column<Environment>[] = [
    { field: 'name', header: t.environments.columns.name, render: (e) => <><strong>{e.display_name || e.name}</strong>{e.description && <Typography variant="body2" color="text.secondary">{e.description}</Typography>}</> },
    { field: 'repo', header: s.repository, render: (e) => <RepoLink repo={e.repo} />, hideBelow: 'md' },
    { field: 'ref', header: s.ref, render: (e) => e.ref, hideBelow: 'md' },
    { field: 'limits', header: `${s.memory} · ${s.cpu}`, render: limits, hideBelow: 'sm' },
    { field: 'built', header: s.built, render: (e) => dateTime(e.built_at), hideBelow: 'md' },
    { field: 'start', header: t.home.columns.actions, render: (e) => <StartButton env={e} busy={busy} onStart={onStart} /> },
  ];
  return <DataTable label={s.chooseEnvironment} rows={environments} rowKey={(e) => e.name} columns={columns} empty={s.noEnvironments} />;
}

/** No environment to choose from: the hub's default start. */
function DefaultChoice({ busy, onStart }: Omit<Props, 'environments'>) {
  return (
    <Card variant="outlined" component="section" aria-label={s.defaultEnvironment} sx={{ maxWidth: 420 }}>
      <CardContent>
        <Typography variant="h2" sx={{ mb: 1 }}>{s.defaultEnvironment}</Typography>
        <Typography color="text.secondary">{s.defaultDescription}</Typography>
      </CardContent>
      <CardActions sx={{ px: 2, pb: 2 }}><StartButton env={null} busy={busy} onStart={onStart} /></CardActions>
    </Card>
  );
}
