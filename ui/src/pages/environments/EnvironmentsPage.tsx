import Article from '@mui/icons-material/ArticleOutlined';
import { Alert, Box, Chip, IconButton, Link, Stack, Tooltip, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { ApiError } from '../../api/client.ts';
import type { Environment } from '../../api/types.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { bytes, dateTime } from '../../format.ts';
import { useEnvironments } from '../../hooks/useEnvironments.ts';
import { t } from '../../strings/index.ts';
import { AddEnvironmentDialog } from './AddEnvironmentDialog.tsx';
import { BuildStatus, isBuilding } from './BuildStatus.tsx';
import { RebuildButton, RemoveButton } from './EnvironmentActions.tsx';

const e = t.environments;
export const envPath = (name: string) => `/environments/${encodeURIComponent(name)}`;

/** Environments built from git repositories: status (live while building), size, owner; add, rebuild, remove. */
export default function EnvironmentsPage() {
  const [building, setBuilding] = useState(false);
  const envs = useEnvironments(building ? 2000 : 15_000);
  const notify = useNotify();
  const data = envs.data;
  // Faster refreshes while something builds, so its status and step stay live.
  useEffect(() => setBuilding(data?.some(isBuilding) ?? false), [data]);
  const missing = envs.error instanceof ApiError && envs.error.status === 404;
  const columns: Column<Environment>[] = [
    {
      field: 'name', header: e.columns.name,
      render: (env) => (
        <>
          <Link component={RouterLink} to={envPath(env.name)} sx={{ fontWeight: 600 }}>{env.display_name || env.name}</Link>
          {env.display_name && env.display_name !== env.name && <Typography variant="body2" color="text.secondary">{env.name}</Typography>}
        </>
      ),
    },
    { field: 'status', header: e.columns.status, render: (env) => <BuildStatus env={env} /> },
    { field: 'size', header: e.columns.size, hideBelow: 'md', render: (env) => bytes(env.size) },
    { field: 'owner', header: e.columns.owner, hideBelow: 'md', render: (env) => env.owner ?? '—' },
    { field: 'built', header: e.columns.built, hideBelow: 'sm', render: (env) => dateTime(env.built_at) },
    {
      field: 'groups', header: e.columns.groups, hideBelow: 'md',
      render: (env) => <Box sx={{ display: 'flex', gap: 0.5, flexWrap: 'wrap' }}>{(env.groups ?? []).map((g) => <Chip key={g} size="small" label={g} />)}</Box>,
    },
    {
      field: 'actions', header: e.columns.actions, align: 'right',
      render: (env) => (
        <Stack direction="row" spacing={0.5} sx={{ justifyContent: 'flex-end' }}>
          <Tooltip title={`${e.logs}: ${env.name}`}>
            <IconButton size="small" component={RouterLink} to={envPath(env.name)} aria-label={`${e.logs}: ${env.name}`}><Article /></IconButton>
          </Tooltip>
          <RebuildButton env={env} icon done={envs.reload} />
          <RemoveButton env={env} icon done={() => { notify(e.removed(env.name)); envs.reload(); }} />
        </Stack>
      ),
    },
  ];
  return (
    <>
      <PageHeader title={e.title} actions={!missing && <AddEnvironmentDialog added={envs.reload} />} />
      {missing ? <Alert severity="info">{e.unavailable}</Alert> : (
        <DataTable label={e.title} rows={data} rowKey={(env) => env.name} columns={columns} loading={envs.loading && !data}
          error={data ? null : envs.error} retry={envs.reload} empty={e.empty} />
      )}
    </>
  );
}
