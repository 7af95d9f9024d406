import { Button } from '@mui/material';
import { Link, useParams } from 'react-router';
import { PageHeader } from '../../components/PageHeader.tsx';
import { Empty } from '../../components/States.tsx';
import { config } from '../../config.ts';
import { spawnPath } from '../../servers.ts';
import { t } from '../../strings/index.ts';

/** Where a stopped server's address lands (the hub answers 424 with this page). */
export default function NotRunningPage() {
  const params = useParams();
  const user = params.user ?? '';
  // Without named servers, what follows the user name is a path in their server, not a server's name.
  const server = config.named_servers.enabled ? params.server ?? '' : '';
  const mayStart = user === config.user.name || config.can.admin;
  return (
    <>
      <PageHeader title={t.notRunning.title} />
      <Empty action={mayStart ? <Button variant="contained" component={Link} to={spawnPath(user, server)}>{t.notRunning.start}</Button> : undefined}>
        {t.notRunning.message(user)}
      </Empty>
    </>
  );
}
