import { Alert, Box, Button, Link, TextField } from '@mui/material';
import { useState } from 'react';
import { Link as RouterLink } from 'react-router';
import { api } from '../../api/client.ts';
import type { GroupModel } from '../../api/types.ts';
import { DataTable, type Column } from '../../components/DataTable.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { messageOf } from '../../format.ts';
import { useGroups } from '../../hooks/useGroups.ts';
import { t } from '../../strings/index.ts';
import { groupNameProblem } from '../../validation.ts';

const g = t.groups;
export const groupPath = (name: string) => `/admin/groups/${encodeURIComponent(name)}`;

/** Groups (UNIX groups mirrored at sign-in, and groups made here); environments are granted to them. */
export default function GroupsPage() {
  const groups = useGroups();
  const notify = useNotify();
  const [name, setName] = useState('');
  const [problem, setProblem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    const bad = groupNameProblem(trimmed);
    setProblem(bad ?? '');
    if (bad) return;
    setError(null);
    try {
      await api.groups.create(trimmed);
      notify(g.created(trimmed));
      setName('');
      groups.reload();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<GroupModel>[] = [
    { field: 'name', header: g.name, render: (row) => <Link component={RouterLink} to={groupPath(row.name)}>{row.name}</Link> },
    { field: 'members', header: g.members, render: (row) => g.memberCount(row.users?.length ?? 0) },
  ];
  return (
    <>
      <PageHeader title={g.title} />
      <Box component="form" onSubmit={create} noValidate sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, alignItems: 'flex-start', mb: 2 }}>
        <TextField id="group-name" size="small" label={g.name} value={name} error={!!problem} helperText={problem || ' '}
          onChange={(e) => { setName(e.target.value); setProblem(''); }} />
        <Button type="submit" variant="contained" sx={{ mt: 0.25 }}>{g.create}</Button>
      </Box>
      {error !== null && <Alert severity="error" sx={{ mb: 2 }}>{messageOf(error)}</Alert>}
      <DataTable label={g.title} rows={groups.data} rowKey={(row) => row.name} columns={columns} loading={groups.loading}
        error={groups.error} retry={groups.reload} empty={g.empty} />
    </>
  );
}
