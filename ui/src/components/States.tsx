import { Alert, Box, Button, CircularProgress, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { messageOf } from '../format.ts';
import { t } from '../strings/index.ts';

/** The same loading, empty and error looks on every page. */
export function Loading({ label = t.common.loading }: { label?: string }) {
  return (
    <Box role="status" sx={{ display: 'flex', alignItems: 'center', gap: 2, py: 4, justifyContent: 'center' }}>
      <CircularProgress size={28} aria-hidden />
      <Typography color="text.secondary">{label}</Typography>
    </Box>
  );
}

export function Empty({ children, action }: { children: ReactNode; action?: ReactNode }) {
  return (
    <Box sx={{ py: 5, textAlign: 'center' }}>
      <Typography color="text.secondary" sx={{ mb: action ? 2 : 0 }}>{children}</Typography>
      {action}
    </Box>
  );
}

export function Failed({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <Alert severity="error" sx={{ my: 2 }} action={retry && <Button color="inherit" size="small" onClick={retry}>{t.common.retry}</Button>}>
      {messageOf(error)}
    </Alert>
  );
}

/** Loading until there is data, the error if the load failed, else the page. */
export function Loaded<T>({ resource, children }: {
  resource: { data: T | undefined; error: Error | null; loading: boolean; reload: () => void };
  children: (data: T) => ReactNode;
}) {
  if (resource.error && resource.data === undefined) return <Failed error={resource.error} retry={resource.reload} />;
  if (resource.data === undefined) return <Loading />;
  return <>{children(resource.data)}</>;
}
