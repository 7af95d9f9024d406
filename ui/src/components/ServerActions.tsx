import Delete from '@mui/icons-material/DeleteOutlined';
import { Button, Stack } from '@mui/material';
import { Link } from 'react-router';
import { api } from '../api/client.ts';
import type { ServerModel } from '../api/types.ts';
import { serverLabel } from '../format.ts';
import { openPath, pendingPath, spawnPath, statusOf } from '../servers.ts';
import { t } from '../strings/index.ts';
import { ConfirmButton } from './ConfirmButton.tsx';

/** Open, Stop, Start and Delete for one server: the same buttons on the home page and in the admin pages. */
export function ServerActions({ user, server, changed, compact = false }: {
  user: string; server: ServerModel; changed: () => void; compact?: boolean;
}) {
  const status = statusOf(server);
  const label = serverLabel(server.name);
  const size = compact ? 'small' : 'medium';
  return (
    <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap' }}>
      {status === 'running' && (
        <Button size={size} variant="contained" component={Link} to={openPath(user, server.name)} aria-label={t.users.openServer(user, label)}>
          {t.common.open}
        </Button>
      )}
      {status === 'starting' && (
        <Button size={size} component={Link} to={pendingPath(user, server.name)}>{t.home.status.starting}</Button>
      )}
      {(status === 'running' || status === 'starting') && (
        <ConfirmButton label={t.common.stop} name={t.users.stopServer(user, label)} size={size} question={t.home.stopConfirm(label)}
          onConfirm={async () => { await api.servers.stop(user, server.name); changed(); }} />
      )}
      {status === 'stopped' && (
        <Button size={size} variant="outlined" component={Link} to={spawnPath(user, server.name)} aria-label={t.users.startServer(user)}>
          {t.common.start}
        </Button>
      )}
      {status === 'stopped' && server.name !== '' && (
        <ConfirmButton label={t.home.deleteServer} icon={<Delete />} question={t.home.deleteConfirm(label)}
          onConfirm={async () => { await api.servers.stop(user, server.name, true); changed(); }} />
      )}
    </Stack>
  );
}
