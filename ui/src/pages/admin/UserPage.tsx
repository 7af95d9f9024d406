import Close from '@mui/icons-material/Close';
import { Alert, Box, Button, FormControlLabel, IconButton, MenuItem, Paper, Stack, Switch, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError, api } from '../../api/client.ts';
import type { UserModel } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { useNotify } from '../../components/Notifier.tsx';
import { PageHeader } from '../../components/PageHeader.tsx';
import { ServerActions } from '../../components/ServerActions.tsx';
import { Empty, Loaded } from '../../components/States.tsx';
import { StatusChip } from '../../components/StatusChip.tsx';
import { config } from '../../config.ts';
import { dateTime, fromNow, messageOf, serverLabel } from '../../format.ts';
import { useGroups } from '../../hooks/useGroups.ts';
import { useUser } from '../../hooks/useUser.ts';
import { environmentOf, sortedServers, spawnPath, statusOf } from '../../servers.ts';
import { t } from '../../strings/index.ts';

const u = t.user;

function Groups({ user, changed }: { user: UserModel; changed: () => void }) {
  const groups = useGroups();
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<unknown>(null);
  const run = async (fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      changed();
    } catch (err) {
      setError(err);
    }
  };
  const others = (groups.data ?? []).map((g) => g.name).filter((g) => !user.groups.includes(g));
  return (
    <Paper variant="outlined" component="section" aria-labelledby="groups-title" sx={{ p: 2 }}>
      <Typography variant="h2" id="groups-title" sx={{ mb: 1.5 }}>{u.groups}</Typography>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mb: 2 }}>
        {user.groups.length === 0 && <Typography color="text.secondary">{u.noGroups}</Typography>}
        {user.groups.map((g) => (
          <Box key={g} sx={{ display: 'inline-flex', alignItems: 'center', border: 1, borderColor: 'divider', borderRadius: 4, pl: 1.5 }}>
            <Typography variant="body2">{g}</Typography>
            <IconButton size="small" aria-label={u.removeGroup(g)} onClick={() => run(() => api.groups.removeMembers(g, [user.name]))}>
              <Close fontSize="small" />
            </IconButton>
          </Box>
        ))}
      </Box>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <TextField select size="small" id="add-group" label={u.addGroup} value={choice} onChange={(e) => setChoice(e.target.value)} sx={{ minWidth: 200 }} disabled={!others.length}>
          {others.map((g) => <MenuItem key={g} value={g}>{g}</MenuItem>)}
        </TextField>
        <Button variant="outlined" disabled={!choice} onClick={() => run(async () => { await api.groups.addMembers(choice, [user.name]); setChoice(''); })}>
          {t.common.add}
        </Button>
      </Stack>
      {error !== null && <Alert severity="error" sx={{ mt: 2 }}>{messageOf(error)}</Alert>}
    </Paper>
  );
}

/** One user, by name in the URL (so a reload shows the same user): admin flag, groups, servers, delete. */
export default function UserPage() {
  const { name = '' } = useParams();
  const user = useUser(name, 10_000);
  const navigate = useNavigate();
  const notify = useNotify();
  const [error, setError] = useState<unknown>(null);
  const [adminShown, setAdminShown] = useState<boolean | null>(null);
  if (user.error instanceof ApiError && user.error.status === 404) {
    return <><PageHeader title={u.title(name)} /><Empty action={<Button component={Link} to="/admin/users">{t.common.back}</Button>}>{u.notFound(name)}</Empty></>;
  }
  // The switch moves at once; it moves back if the hub refuses.
  const setAdmin = async (admin: boolean) => {
    setError(null);
    setAdminShown(admin);
    try {
      user.setData({ ...(await api.users.update(name, { admin })), servers: user.data?.servers });
      notify(u.saved);
    } catch (err) {
      setError(err);
    } finally {
      setAdminShown(null);
    }
  };
  return (
    <>
      <PageHeader title={u.title(name)} actions={
        <ConfirmButton label={t.users.deleteUser(name)} question={t.users.deleteConfirm(name)} disabled={name === config.user.name}
          onConfirm={async () => { await api.users.remove(name); notify(t.users.deleted(name)); navigate('/admin/users'); }} />
      } />
      <Loaded resource={user}>
        {(data) => (
          <Stack spacing={2} sx={{ maxWidth: 900 }}>
            <Paper variant="outlined" sx={{ p: 2 }}>
              <FormControlLabel label={u.admin} control={
                <Switch checked={adminShown ?? data.admin} disabled={name === config.user.name} onChange={(e) => setAdmin(e.target.checked)} />
              } />
              <Typography color="text.secondary" sx={{ mt: 1 }}>
                {u.created}: {dateTime(data.created)} · {u.activity}: {fromNow(data.last_activity)}
              </Typography>
              {error !== null && <Alert severity="error" sx={{ mt: 2 }}>{messageOf(error)}</Alert>}
            </Paper>
            <Groups user={data} changed={user.reload} />
            <Paper variant="outlined" component="section" aria-labelledby="servers-title" sx={{ p: 2 }}>
              <Typography variant="h2" id="servers-title" sx={{ mb: 1.5 }}>{u.servers}</Typography>
              {sortedServers(data.servers).length === 0 && (
                <Empty action={<Button variant="outlined" component={Link} to={spawnPath(name, '')}>{t.common.start}</Button>}>{t.users.noServer}</Empty>
              )}
              <Stack spacing={1.5}>
                {sortedServers(data.servers).map((s) => (
                  <Box key={s.name} sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1.5 }}>
                    <Typography sx={{ minWidth: 80, fontWeight: 600 }}>{serverLabel(s.name)}</Typography>
                    <StatusChip status={statusOf(s)} />
                    <Typography color="text.secondary" sx={{ minWidth: 120 }}>{environmentOf(s) || '—'}</Typography>
                    <ServerActions user={name} server={s} changed={user.reload} compact />
                  </Box>
                ))}
              </Stack>
            </Paper>
          </Stack>
        )}
      </Loaded>
    </>
  );
}
