import {
  Box, LinearProgress, Paper, Table, TableBody, TableCell, TableContainer, TableHead, TablePagination, TableRow, TableSortLabel,
} from '@mui/material';
import type { ReactNode } from 'react';
import { t } from '../strings/index.ts';
import { Empty, Failed } from './States.tsx';

export interface Column<T> {
  field: string;
  header: string;
  render: (row: T) => ReactNode;
  /** The hub's sort key for this column (sorting happens on the server). */
  sortKey?: string;
  width?: number | string;
  align?: 'left' | 'right' | 'center';
  /** Hidden on narrow screens, where the table would not fit. */
  hideBelow?: 'sm' | 'md';
}

interface Props<T> {
  label: string;
  rows: T[] | undefined;
  rowKey: (row: T) => string;
  columns: Column<T>[];
  loading?: boolean;
  error?: unknown;
  retry?: () => void;
  empty: ReactNode;
  /** `-key` sorts descending, as the hub's `sort` parameter. */
  sort?: { value: string; onChange: (value: string) => void };
  pagination?: { count: number; page: number; pageSize: number; onPage: (page: number) => void; onPageSize: (size: number) => void };
}

const hide = (below?: 'sm' | 'md') => (below ? { display: { xs: 'none', [below]: 'table-cell' } } : {});

/**
 * The app's one table: MUI's Table with DataGrid-like column definitions (`render` per cell), server-side sort and
 * pages. (MUI X DataGrid alone weighs 140 kB gzipped, more than the whole admin page may.)
 */
export function DataTable<T>(p: Props<T>) {
  const sortField = p.sort?.value.replace(/^-/, '');
  const descending = p.sort?.value.startsWith('-') ?? false;
  return (
    <Paper variant="outlined">
      <Box sx={{ height: 4 }}>{p.loading && <LinearProgress aria-label={t.common.loading} />}</Box>
      <TableContainer role="region" aria-label={p.label} tabIndex={0}>
        <Table size="small">
          <TableHead>
            <TableRow>
              {p.columns.map((c) => (
                <TableCell key={c.field} align={c.align} sx={{ width: c.width, ...hide(c.hideBelow) }}
                  sortDirection={c.sortKey && sortField === c.sortKey ? (descending ? 'desc' : 'asc') : false}>
                  {c.sortKey && p.sort ? (
                    <TableSortLabel active={sortField === c.sortKey} direction={sortField === c.sortKey && descending ? 'desc' : 'asc'}
                      onClick={() => p.sort!.onChange(sortField === c.sortKey && !descending ? `-${c.sortKey}` : c.sortKey!)}>
                      {c.header}
                    </TableSortLabel>
                  ) : c.header}
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {(p.rows ?? []).map((row) => (
              <TableRow key={p.rowKey(row)} hover>
                {p.columns.map((c) => (
                  <TableCell key={c.field} align={c.align} sx={hide(c.hideBelow)}>{c.render(row)}</TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
      {p.error !== undefined && p.error !== null && <Box sx={{ px: 2 }}><Failed error={p.error} retry={p.retry} /></Box>}
      {p.rows && p.rows.length === 0 && !p.error && <Empty>{p.empty}</Empty>}
      {p.pagination && (
        <TablePagination component="div" count={p.pagination.count} page={p.pagination.page} rowsPerPage={p.pagination.pageSize}
          rowsPerPageOptions={[25, 50, 100, 200]} labelRowsPerPage={t.common.rowsPerPage}
          labelDisplayedRows={({ from, to, count }) => t.common.pageRange(from, to, count)}
          onPageChange={(_e, page) => p.pagination!.onPage(page)}
          onRowsPerPageChange={(e) => p.pagination!.onPageSize(Number(e.target.value))} />
      )}
    </Paper>
  );
}
