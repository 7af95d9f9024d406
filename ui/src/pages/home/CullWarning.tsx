import { Alert, Button } from '@mui/material';
import { useState } from 'react';
import { countdown, messageOf } from '../../format.ts';
import { useCullWarning } from '../../hooks/useCullWarning.ts';
import { t } from '../../strings/index.ts';

/** Above the framed server, minutes before the culler stops it: why, when, and (for an idle stop) a way to stay. */
export function CullWarning({ user, server, running }: { user: string; server: string; running: boolean }) {
  const cull = useCullWarning(user, server, running);
  const [error, setError] = useState('');
  if (!cull.warning || cull.secondsLeft === null) return null;
  const when = countdown(cull.secondsLeft);
  const keep = () => cull.keep().then(() => setError(''), (err: unknown) => setError(messageOf(err)));
  return (
    <Alert severity="warning" role="alert" id="cull-warning"
      sx={{ position: 'absolute', top: 8, left: '50%', transform: 'translateX(-50%)', zIndex: 2, maxWidth: 'min(40rem, 90vw)', boxShadow: 3 }}
      action={cull.reason === 'idle' ? <Button color="inherit" size="small" onClick={keep} sx={{ whiteSpace: 'nowrap' }}>{t.frame.keep}</Button> : undefined}>
      {cull.reason === 'max_age' ? t.frame.cullMaxAge(when) : t.frame.cullIdle(when)}
      {error && ` ${error}`}
    </Alert>
  );
}
