import { Box, FormControlLabel, Switch } from '@mui/material';
import { useCallback } from 'react';
import { api, type UserQuery } from '../../api/client.ts';
import type { UserSort } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { SearchField } from '../../components/SearchField.tsx';
import { useServerStats } from '../../hooks/useServerStats.ts';
import { readUrlState, useUrlState } from '../../hooks/useUrlState.ts';
import { primeUsers, useUsers } from '../../hooks/useUsers.ts';
import { t } from '../../strings/index.ts';
import { AddUsersDialog } from './AddUsersDialog.tsx';
import { userColumns, type Usage } from './userColumns.tsx';

const SORTS = ['name', '-name', 'last_activity', '-last_activity', 'id', '-id'];

/** Stops every running server of every active user, a page of users at a time. */
async function stopAll(): Promise<number> {
  let stopped = 0;
  for (;;) {
    const page = await api.users.list({ offset: 0, limit: 200, activeOnly: true });
    const jobs = page.items.flatMap((u) => Object.values(u.servers ?? {}).filter((s) => !s.stopped && s.pending !== 'stop')
      .map((s) => api.servers.stop(u.name, s.name).then(() => stopped++)));
    if (!jobs.length) return stopped;
    await Promise.allSettled(jobs);
    if (page._pagination.total <= page.items.length) return stopped;
  }
}

const DEFAULTS = { page: 0, size: 50, q: '', active: false, sort: 'name' };
type UrlState = ReturnType<typeof readUrlState<typeof DEFAULTS>>;

function queryOf(url: UrlState): UserQuery {
  const sort = (SORTS.includes(url.sort) ? url.sort : 'name') as UserSort;
  return { offset: url.page * url.size, limit: url.size, nameFilter: url.q, activeOnly: url.active, sort };
}

/** Asks for the page of users in this address while the app is still starting (the admin's first screen). */
export function primeUsersPage(search: string): void {
  primeUsers(queryOf(readUrlState(new URLSearchParams(search), DEFAULTS)));
}

/** Every user, paged by the hub: search, active only and sort live in the URL. */
export default function UsersPage() {
  const [url, setUrl] = useUrlState(DEFAULTS);
  const query = queryOf(url);
  const sort = query.sort!;
  const notify = useNotify();
  const users = useUsers(query, 10_000);
  const stats = useServerStats(true, 10_000);

  // A new search starts on the first page.
  const search = useCallback((q: string) => setUrl({ q, page: 0 }), [setUrl]);

  const usage: Usage = new Map((stats.data?.servers ?? []).map((s) => [`${s.user}/${s.server}`, s]));
  const total = users.data?._pagination.total ?? 0;
  return (
    <>
      <PageHeader title={t.users.title} actions={
        <>
          <AddUsersDialog added={users.reload} />
          <ConfirmButton label={t.users.stopAll} question={t.users.stopAllConfirm} disabled={!users.data}
            onConfirm={async () => { notify(t.users.stopAllDone(await stopAll())); users.reload(); }} />
        </>
      } />
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, alignItems: 'center', mb: 2 }}>
        <SearchField id="user-search" label={t.users.search} value={url.q} onChange={search} />
        <FormControlLabel label={t.users.activeOnly}
          control={<Switch checked={url.active} onChange={(e) => setUrl({ active: e.target.checked, page: 0 })} />} />
      </Box>
      <DataTable label={t.users.title} rows={users.data?.items} rowKey={(u) => u.name} loading={users.loading || users.stale}
        error={users.error} retry={users.reload} empty={t.users.empty}
        columns={userColumns({ usage, changed: users.reload, deleted: (name) => { notify(t.users.deleted(name)); users.reload(); } })}
        sort={{ value: sort, onChange: (value) => setUrl({ sort: value, page: 0 }) }}
        pagination={{
          count: total, page: url.page, pageSize: url.size,
          onPage: (page) => setUrl({ page }), onPageSize: (size) => setUrl({ size, page: 0 }),
        }} />
    </>
  );
}
