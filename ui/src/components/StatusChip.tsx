import { Chip } from '@mui/material';
import type { ServerStatus } from '../servers.ts';
import { t } from '../strings/index.ts';

const COLORS = { running: 'success', starting: 'info', stopping: 'warning', stopped: 'default' } as const;

export function StatusChip({ status }: { status: ServerStatus }) {
  return <Chip size="small" variant={status === 'stopped' ? 'outlined' : 'filled'} color={COLORS[status]} label={t.home.status[status]} />;
}
