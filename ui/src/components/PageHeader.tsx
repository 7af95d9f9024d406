import { Box, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { useEffect } from 'react';
import { t } from '../strings/index.ts';

/** The page's one h1 (also its document title) and its main actions. */
export function PageHeader({ title, actions, children }: { title: string; actions?: ReactNode; children?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · ${t.app.name}`;
  }, [title]);
  return (
    <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 2, mb: 3 }}>
      <Typography variant="h1" sx={{ flexGrow: 1 }}>{title}</Typography>
      {actions && <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}>{actions}</Box>}
      {children && <Box sx={{ width: '100%' }}>{children}</Box>}
    </Box>
  );
}
