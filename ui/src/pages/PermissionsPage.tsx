import { Alert, Box, Button, Checkbox, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, api } from '../api/client.ts';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { useNotify } from '../components/Notifier.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { SearchField } from '../components/SearchField.tsx';
import { Empty, Loaded } from '../components/States.tsx';
import { messageOf } from '../format.ts';
import { usePermissions } from '../hooks/usePermissions.ts';
import { useUrlState } from '../hooks/useUrlState.ts';
import { t } from '../strings/index.ts';

const p = t.permissions;
type Mapping = Record<string, string[]>;

/** Rows and columns the filter keeps: those that match, or all of them when none does. */
function filtered(names: string[], q: string): string[] {
  const hits = names.filter((n) => n.toLowerCase().includes(q.toLowerCase()));
  return q && hits.length ? hits : names;
}

/** Environments × groups: tick who may use what, then Save (the whole mapping, as the hub replaces it). */
export default function PermissionsPage() {
  const perms = usePermissions();
  const notify = useNotify();
  const [{ q }, setUrl] = useUrlState({ q: '' });
  const filter = useCallback((value: string) => setUrl({ q: value }), [setUrl]);
  const [mapping, setMapping] = useState<Mapping>({});
  const [dirty, setDirty] = useState(false);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (perms.data && !dirty) setMapping(perms.data.permissions);
  }, [perms.data, dirty]);

  if (perms.error instanceof ApiError && perms.error.status === 404) {
    return <><PageHeader title={p.title} /><Alert severity="info">{t.environments.unavailable}</Alert></>;
  }
  const toggle = (env: string, group: string, on: boolean) => {
    setMapping((m) => ({ ...m, [env]: on ? [...new Set([...(m[env] ?? []), group])] : (m[env] ?? []).filter((g) => g !== group) }));
    setDirty(true);
    setSaved(false);
  };
  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.permissions.put(mapping);
      perms.setData(answer);
      setMapping(answer.permissions);
      setDirty(false);
      setSaved(true);
      notify(p.saved);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PageHeader title={p.title} actions={
        <Box sx={{ display: 'flex', alignItems: 'center', gap: 1.5 }}>
          <Typography role="status" color={dirty ? 'warning.main' : 'success.main'}>{dirty ? p.unsaved : saved ? p.saved : ''}</Typography>
          <Button variant="contained" onClick={save} disabled={busy || !dirty}>{p.save}</Button>
        </Box>
      }>
        <Typography color="text.secondary">{p.intro}</Typography>
      </PageHeader>
      <Box sx={{ mb: 2 }}><SearchField id="permissions-filter" label={p.filter} value={q} onChange={filter} minWidth={280} /></Box>
      {error !== null && <Alert severity="error" sx={{ mb: 2 }}>{messageOf(error)}</Alert>}
      <Loaded resource={perms}>
        {(data) => {
          if (!data.groups.length) return <Empty>{p.noGroups}</Empty>;
          const groups = filtered(data.groups, q);
          const columns: Column<string>[] = [
            { field: '__env', header: p.environment, render: (env) => <strong>{env}</strong> },
            ...groups.map((group): Column<string> => ({
              field: group, header: group, align: 'center',
              render: (env) => (
                <Checkbox checked={(mapping[env] ?? []).includes(group)} onChange={(e) => toggle(env, group, e.target.checked)}
                  slotProps={{ input: { 'aria-label': p.allow(env, group) } }} />
              ),
            })),
          ];
          return <DataTable label={p.title} rows={filtered(data.environments, q)} rowKey={(env) => env} columns={columns} empty={p.noEnvironments} />;
        }}
      </Loaded>
    </>
  );
}
