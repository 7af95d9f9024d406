import { Alert, Box, TextField, ToggleButton, ToggleButtonGroup } from '@mui/material';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client.ts';
import type { Environment } from '../../api/types.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Loading } from '../../components/States.tsx';
import { config } from '../../config.ts';
import { messageOf } from '../../format.ts';
import { formatSize } from '../../../../src/ops/sizes.ts';
import { useEnvironments } from '../../hooks/useEnvironments.ts';
import { useResource } from '../../hooks/useResource.ts';
import { useUrlState } from '../../hooks/useUrlState.ts';
import { pendingPath } from '../../servers.ts';
import { t } from '../../strings/index.ts';
import { serverNameProblem } from '../../validation.ts';
import { EnvironmentCards, EnvironmentTable } from './EnvironmentChoices.tsx';

const QUICK_REFUSAL_MS = 500;

/** The environments this user may use; Start begins the spawn and moves to its progress page. */
export default function SpawnPage() {
  const params = useParams();
  const user = params.user ?? config.user.name;
  const navigate = useNavigate();
  const [{ view }, setUrl] = useUrlState({ view: 'cards' });
  const [name, setName] = useState(params.server ?? '');
  const [nameError, setNameError] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const envs = useEnvironments();
  // Home usage against Plasma's disk limits: a warning over the soft one; over the hard one the hub refuses a start.
  const disk = useResource(`disk:${user}`, (signal) => api.disk(user, signal)).data;
  // Before the environments API, or with none built, the hub starts its default.
  const missing = envs.error instanceof ApiError && envs.error.status === 404;
  const list: Environment[] | undefined = missing ? [] : envs.data;

  const start = async (env: Environment | null) => {
    const serverName = config.named_servers.enabled ? name.trim() : '';
    const problem = serverNameProblem(serverName);
    setNameError(problem ?? '');
    if (problem) return;
    setBusy(env?.name ?? '');
    setError(null);
    // The hub answers once the server is ready (or after 10 s): follow its progress on the next page meanwhile,
    // unless it refuses at once (not allowed, already running…), which is shown here.
    const started = api.servers.start(user, serverName, env ? { environment: env.name } : {});
    const refused = await Promise.race([
      started.then(() => null, (err: unknown) => err), new Promise((r) => setTimeout(() => r(null), QUICK_REFUSAL_MS)),
    ]);
    if (refused) {
      setError(refused);
      setBusy(null);
      return;
    }
    navigate(pendingPath(user, serverName));
  };

  return (
    <>
      <PageHeader title={user === config.user.name ? t.spawn.title : t.spawn.titleFor(user)}
        actions={
          <ToggleButtonGroup size="small" exclusive value={view} aria-label={t.spawn.view} onChange={(_e, v) => v && setUrl({ view: v })}>
            <ToggleButton value="cards">{t.spawn.cards}</ToggleButton>
            <ToggleButton value="table">{t.spawn.table}</ToggleButton>
          </ToggleButtonGroup>
        } />
      {config.named_servers.enabled && (
        <Box sx={{ maxWidth: 360, mb: 3 }}>
          <TextField id="server-name" label={t.spawn.serverName} value={name} fullWidth
            onChange={(e) => { setName(e.target.value); setNameError(''); }}
            error={!!nameError} helperText={nameError || t.spawn.serverNameHelp} />
        </Box>
      )}
      {disk?.over_hard && <Alert severity="error" sx={{ mb: 2 }}>{t.spawn.diskOverHard(formatSize(disk.bytes), formatSize(disk.hard_limit))}</Alert>}
      {disk?.over_soft && !disk.over_hard && (
        <Alert severity="warning" sx={{ mb: 2 }}>{t.spawn.diskOverSoft(formatSize(disk.bytes), formatSize(disk.soft_limit), formatSize(disk.hard_limit))}</Alert>
      )}
      {error !== null && <Alert severity="error" sx={{ mb: 2 }}>{t.spawn.failed}: {messageOf(error)}</Alert>}
      {envs.error && !missing && <Alert severity="error" sx={{ mb: 2 }}>{messageOf(envs.error)}</Alert>}
      {list === undefined && !envs.error ? <Loading /> : view === 'table'
        ? <EnvironmentTable environments={list ?? []} busy={busy} onStart={start} />
        : <EnvironmentCards environments={list ?? []} busy={busy} onStart={start} />}
    </>
  );
}
