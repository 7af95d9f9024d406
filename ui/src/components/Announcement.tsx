import { Alert } from '@mui/material';
import { config } from '../config.ts';
import { t } from '../strings/index.ts';

/** The notice set by `ui.announcement` in the hub's config (plain text). */
export function Announcement() {
  if (!config.announcement) return null;
  return (
    <Alert severity="info" role="note" aria-label={t.announcement} sx={{ mb: 3, whiteSpace: 'pre-line' }}>
      {config.announcement}
    </Alert>
  );
}
