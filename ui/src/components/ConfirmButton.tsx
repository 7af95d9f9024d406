import { Alert, Button, Dialog, DialogActions, DialogContent, DialogContentText, DialogTitle, IconButton, Tooltip } from '@mui/material';
import { useId, useState, type ReactElement, type ReactNode } from 'react';
import { messageOf } from '../format.ts';
import { t } from '../strings/index.ts';

interface Props {
  /** The button's text, or the tooltip and accessible name of an icon button. */
  label: string;
  /** A fuller accessible name for the button when its text alone is ambiguous (e.g. "Stop" in a table). */
  name?: string;
  icon?: ReactElement;
  /** The question; the action runs only after Confirm. */
  question: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  /** Extra text shown when the action fails with an answer the caller can explain better. */
  explain?: (err: unknown) => ReactNode | null;
  color?: 'primary' | 'error' | 'inherit';
  variant?: 'text' | 'outlined' | 'contained';
  size?: 'small' | 'medium';
  disabled?: boolean;
}

/** Every destructive action goes through this: a dialog asks first, shows the error if it fails. */
export function ConfirmButton(p: Props) {
  const [open, setOpen] = useState(false);
  // The dialog exists once asked for: a table has one of these per row, most never opened.
  const [used, setUsed] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const titleId = useId();
  const close = () => {
    if (busy) return;
    setOpen(false);
    setError(null);
  };
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await p.onConfirm();
      setOpen(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const color = p.color ?? 'error';
  const trigger = p.icon ? (
    <Tooltip title={p.label}>
      <span>
        <IconButton aria-label={p.label} color={color === 'inherit' ? 'default' : color} size={p.size ?? 'small'} onClick={() => { setUsed(true); setOpen(true); }} disabled={p.disabled}>
          {p.icon}
        </IconButton>
      </span>
    </Tooltip>
  ) : (
    <Button color={color} variant={p.variant ?? 'outlined'} size={p.size ?? 'medium'} onClick={() => { setUsed(true); setOpen(true); }} disabled={p.disabled} aria-label={p.name}>
      {p.label}
    </Button>
  );
  return (
    <>
      {trigger}
      {used && <Dialog open={open} onClose={close} aria-labelledby={titleId}>
        <DialogTitle id={titleId}>{p.label}</DialogTitle>
        <DialogContent>
          <DialogContentText>{p.question}</DialogContentText>
          {error !== null && <Alert severity="error" sx={{ mt: 2 }}>{p.explain?.(error) ?? messageOf(error)}</Alert>}
        </DialogContent>
        <DialogActions>
          <Button onClick={close} disabled={busy}>{t.common.cancel}</Button>
          <Button onClick={run} color={color === 'inherit' ? 'primary' : color} variant="contained" disabled={busy} autoFocus>
            {p.confirmLabel ?? p.label}
          </Button>
        </DialogActions>
      </Dialog>}
    </>
  );
}
