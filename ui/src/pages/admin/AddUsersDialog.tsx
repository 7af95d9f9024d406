import { Alert, Button, Checkbox, Dialog, DialogActions, DialogContent, DialogTitle, FormControlLabel, TextField } from '@mui/material';
import { useId, useState } from 'react';
import { api } from '../../api/client.ts';
import { useNotify } from '../../components/Notifier.tsx';
import { messageOf } from '../../format.ts';
import { t } from '../../strings/index.ts';
import { parseUsernames } from '../../validation.ts';

/** Many users at once: one name per line (or separated by spaces or commas), optionally administrators. */
export function AddUsersDialog({ added }: { added: () => void }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [admin, setAdmin] = useState(false);
  const [problem, setProblem] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const notify = useNotify();
  const titleId = useId();

  const close = () => {
    setOpen(false);
    setText('');
    setAdmin(false);
    setProblem('');
    setError(null);
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const { names, problem: bad } = parseUsernames(text);
    setProblem(bad ?? '');
    if (bad) return;
    setBusy(true);
    setError(null);
    try {
      const created = await api.users.create(names, admin);
      notify(t.users.added(created.length));
      added();
      close();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button variant="contained" onClick={() => setOpen(true)}>{t.users.add}</Button>
      <Dialog open={open} onClose={close} aria-labelledby={titleId} fullWidth maxWidth="sm">
        <form onSubmit={submit} noValidate>
          <DialogTitle id={titleId}>{t.users.addTitle}</DialogTitle>
          <DialogContent>
            <TextField id="new-usernames" label={t.users.addNames} value={text} onChange={(e) => { setText(e.target.value); setProblem(''); }}
              multiline minRows={4} fullWidth autoFocus margin="dense" error={!!problem} helperText={problem || t.users.addNamesHelp} />
            <FormControlLabel control={<Checkbox checked={admin} onChange={(e) => setAdmin(e.target.checked)} />} label={t.users.addAdmin} />
            {error !== null && <Alert severity="error" sx={{ mt: 1 }}>{messageOf(error)}</Alert>}
          </DialogContent>
          <DialogActions>
            <Button onClick={close}>{t.common.cancel}</Button>
            <Button type="submit" variant="contained" disabled={busy}>{t.common.add}</Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
