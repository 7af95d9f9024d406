import { Alert, Snackbar } from '@mui/material';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

type Notify = (message: string, severity?: 'success' | 'error' | 'info') => void;
const NotifyContext = createContext<Notify>(() => undefined);

/** Short confirmations ("Saved") in one place at the bottom of the screen, announced to screen readers. */
export function NotifierProvider({ children }: { children: ReactNode }) {
  const [note, setNote] = useState<{ message: string; severity: 'success' | 'error' | 'info'; key: number } | null>(null);
  const notify = useCallback<Notify>((message, severity = 'success') => setNote({ message, severity, key: Date.now() }), []);
  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <Snackbar key={note?.key} open={note !== null} autoHideDuration={5000} onClose={() => setNote(null)} anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}>
        {note ? <Alert severity={note.severity} variant="filled" onClose={() => setNote(null)} role="status">{note.message}</Alert> : undefined}
      </Snackbar>
    </NotifyContext.Provider>
  );
}

export const useNotify = () => useContext(NotifyContext);
