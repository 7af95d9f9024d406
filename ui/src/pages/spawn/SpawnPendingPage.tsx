import { Alert, Box, Button, LinearProgress, List, ListItem, ListItemText, Paper, Typography } from '@mui/material';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import { PageHeader } from '../../components/PageHeader.tsx';
import { serverLabel, messageOf } from '../../format.ts';
import { useProgress } from '../../hooks/useProgress.ts';
import { openPath, spawnPath } from '../../servers.ts';
import { t } from '../../strings/index.ts';

const s = t.spawn;

/** A start in progress: the progress stream's bar and events, Cancel; the framed server once it is ready. */
export default function SpawnPendingPage() {
  const { user = '', server = '' } = useParams();
  const navigate = useNavigate();
  const progress = useProgress(user, server);
  const [cancelling, setCancelling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);

  // A moment on the full bar, so the user sees it finished, then the server.
  useEffect(() => {
    if (!progress.ready) return undefined;
    const timer = setTimeout(() => navigate(openPath(user, server), { replace: true }), 700);
    return () => clearTimeout(timer);
  }, [progress.ready, navigate, user, server]);

  const cancel = async () => {
    setCancelling(true);
    try {
      await api.servers.stop(user, server);
    } catch (err) {
      setCancelError(err);
      setCancelling(false);
    }
  };

  const failed = progress.failed;
  const last = progress.events.at(-1)?.message ?? t.common.loading;
  return (
    <>
      <PageHeader title={s.starting} />
      <Paper variant="outlined" sx={{ p: 3, maxWidth: 720 }}>
        <Typography variant="h2" sx={{ mb: 2 }}>{serverLabel(server)}</Typography>
        <LinearProgress variant="determinate" value={progress.percent} aria-label={s.progress} color={failed ? 'error' : 'primary'} sx={{ height: 10, borderRadius: 5, mb: 1.5 }} />
        <Typography role="status" aria-live="polite" sx={{ mb: 2 }}>{failed ? s.failed : progress.ready ? s.ready : last}</Typography>
        {failed && (
          <Alert severity={/cancelled/.test(failed) ? 'info' : 'error'} sx={{ mb: 2 }}
            action={<Button color="inherit" component={Link} to={spawnPath(user, server)}>{t.common.back}</Button>}>
            {/cancelled/.test(failed) ? s.cancelled : failed}
          </Alert>
        )}
        {progress.error && !failed && (
          <Alert severity="warning" sx={{ mb: 2 }} action={<Button color="inherit" component={Link} to="/home">{t.frame.home}</Button>}>
            {messageOf(progress.error)}
          </Alert>
        )}
        {cancelError !== null && <Alert severity="error" sx={{ mb: 2 }}>{messageOf(cancelError)}</Alert>}
        {!failed && !progress.ready && !progress.error && (
          <Button variant="outlined" color="error" onClick={cancel} disabled={cancelling}>{s.cancel}</Button>
        )}
        <Typography variant="h3" component="h3" sx={{ mt: 3, mb: 1 }}>{s.eventLog}</Typography>
        <Box sx={{ maxHeight: 260, overflow: 'auto', bgcolor: 'action.hover', borderRadius: 1 }} tabIndex={0} role="log" aria-label={s.eventLog}>
          <List dense>
            {progress.events.map((e, i) => (
              <ListItem key={i}>
                <ListItemText primary={e.message} secondary={typeof e.progress === 'number' ? `${e.progress} %` : undefined} />
              </ListItem>
            ))}
          </List>
        </Box>
      </Paper>
    </>
  );
}
