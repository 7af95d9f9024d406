import Close from '@mui/icons-material/Close';
import { Alert, Box, Button, IconButton, Link, List, ListItem, ListItemText, Paper, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Link as RouterLink, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Empty, Loaded } from '../../components/States.tsx';
import { messageOf } from '../../format.ts';
import { useGroup } from '../../hooks/useGroup.ts';
import { t } from '../../strings/index.ts';
import { usernameProblem } from '../../validation.ts';
import { userPath } from './userColumns.tsx';

const g = t.groups;

/** One group: its members (add, remove) and Delete. */
export default function GroupPage() {
  const { name = '' } = useParams();
  const group = useGroup(name);
  const navigate = useNavigate();
  const notify = useNotify();
  const [member, setMember] = useState('');
  const [problem, setProblem] = useState('');
  const [error, setError] = useState<unknown>(null);
  if (group.error instanceof ApiError && group.error.status === 404) {
    return <><PageHeader title={name} /><Empty action={<Button component={RouterLink} to="/admin/groups">{t.common.back}</Button>}>{g.notFound(name)}</Empty></>;
  }
  const change = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      group.reload();
    } catch (err) {
      setError(err);
    }
  };
  const add = async (e: React.FormEvent) => {
    e.preventDefault();
    const user = member.trim();
    const bad = usernameProblem(user);
    setProblem(bad ?? '');
    if (bad) return;
    await change(async () => { await api.groups.addMembers(name, [user]); setMember(''); });
  };
  return (
    <>
      <PageHeader title={name} actions={
        <ConfirmButton label={g.deleteGroup(name)} question={g.deleteConfirm(name)}
          onConfirm={async () => { await api.groups.remove(name); navigate('/admin/groups'); }} />
      } />
      <Paper variant="outlined" component="section" aria-labelledby="members-title" sx={{ p: 2, maxWidth: 640 }}>
        <Typography variant="h2" id="members-title" sx={{ mb: 1 }}>{g.members}</Typography>
        <Box component="form" onSubmit={add} noValidate sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, alignItems: 'flex-start', mb: 1 }}>
          <TextField id="member-name" size="small" label={g.memberName} value={member} error={!!problem} helperText={problem || ' '}
            onChange={(e) => { setMember(e.target.value); setProblem(''); }} />
          <Button type="submit" variant="contained" sx={{ mt: 0.25 }}>{g.addMember}</Button>
        </Box>
        {error !== null && <Alert severity="error" sx={{ mb: 2 }}>{messageOf(error)}</Alert>}
        <Loaded resource={group}>
          {(data) => (data.users.length === 0 ? <Empty>{g.noMembers}</Empty> : (
            <List dense>
              {data.users.map((user) => (
                <ListItem key={user} divider secondaryAction={
                  <IconButton edge="end" aria-label={g.removeMember(user)} onClick={() => change(() => api.groups.removeMembers(name, [user]))}><Close /></IconButton>
                }>
                  <ListItemText primary={<Link component={RouterLink} to={userPath(user)}>{user}</Link>} />
                </ListItem>
              ))}
            </List>
          ))}
        </Loaded>
      </Paper>
    </>
  );
}
