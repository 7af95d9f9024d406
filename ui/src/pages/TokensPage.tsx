import Delete from '@mui/icons-material/DeleteOutlined';
import { Alert, Box, Button, MenuItem, Paper, Stack, TextField, Typography } from '@mui/material';
import { useState } from 'react';
import { api } from '../api/client.ts';
import type { NewToken, TokenModel } from '../api/types.ts';
import { ConfirmButton } from '../components/ConfirmButton.tsx';
import { CopyButton } from '../components/CopyButton.tsx';
import { DataTable, type Column } from '../components/DataTable.tsx';
import { useNotify } from '../components/Notifier.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { config } from '../config.ts';
import { dateTime, fromNow, messageOf } from '../format.ts';
import { useTokens } from '../hooks/useTokens.ts';
import { t } from '../strings/index.ts';
import { scopesProblem } from '../validation.ts';

const k = t.tokens;
const EXPIRY: Record<string, number | null> = { never: null, hour: 3600, day: 86400, week: 7 * 86400, month: 30 * 86400, custom: 0 };

function CreateToken({ created }: { created: (token: NewToken) => void }) {
  const [note, setNote] = useState('');
  const [expiry, setExpiry] = useState('month');
  const [days, setDays] = useState('90');
  const [scopes, setScopes] = useState('');
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (note.length > 1000) found.note = t.validation.noteTooLong;
    if (expiry === 'custom' && !(/^\d+$/.test(days) && Number(days) >= 1)) found.days = t.validation.expiresDays;
    const badScope = scopesProblem(scopes, config.scopes);
    if (badScope) found.scopes = badScope;
    setProblems(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    setError(null);
    try {
      const expiresIn = expiry === 'custom' ? Number(days) * 86400 : EXPIRY[expiry];
      const list = scopes.split(/\s+/).filter(Boolean);
      created(await api.tokens.create(config.user.name, {
        note: note.trim() || k.title, ...(expiresIn ? { expires_in: expiresIn } : {}), ...(list.length ? { scopes: list } : {}),
      }));
      setNote('');
      setScopes('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper variant="outlined" component="form" onSubmit={submit} noValidate aria-labelledby="create-title" sx={{ p: 2, mb: 3, maxWidth: 720 }}>
      <Typography variant="h2" id="create-title" sx={{ mb: 2 }}>{k.create}</Typography>
      <Stack spacing={2}>
        <TextField id="token-note" label={k.note} value={note} onChange={(e) => setNote(e.target.value)} error={!!problems.note} helperText={problems.note || k.noteHelp} />
        <Box sx={{ display: 'flex', gap: 2, flexWrap: 'wrap' }}>
          <TextField id="token-expiry" select label={k.expires} value={expiry} onChange={(e) => setExpiry(e.target.value)} sx={{ minWidth: 220 }}>
            {Object.keys(EXPIRY).map((key) => <MenuItem key={key} value={key}>{k.expiry[key as keyof typeof k.expiry]}</MenuItem>)}
          </TextField>
          {expiry === 'custom' && (
            <TextField id="token-days" label={k.days} value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric"
              error={!!problems.days} helperText={problems.days || ' '} sx={{ width: 140 }} />
          )}
        </Box>
        <TextField id="token-scopes" label={k.scopes} value={scopes} onChange={(e) => setScopes(e.target.value)}
          error={!!problems.scopes} helperText={problems.scopes || k.scopesHelp} />
        {error !== null && <Alert severity="error">{messageOf(error)}</Alert>}
        <Box><Button type="submit" variant="contained" disabled={busy}>{k.create}</Button></Box>
      </Stack>
    </Paper>
  );
}

/** API tokens: create (shown once), list with last use and expiry, revoke. */
export default function TokensPage() {
  const me = config.user.name;
  const tokens = useTokens(me);
  const notify = useNotify();
  const [fresh, setFresh] = useState<NewToken | null>(null);
  const columns: Column<TokenModel>[] = [
    { field: 'note', header: k.columns.note, render: (row) => (row.oauth_client !== 'JupyterHub' ? k.oauth(row.oauth_client) : row.note) },
    { field: 'scopes', header: k.columns.scopes, hideBelow: 'md', render: (row) => <Typography variant="body2" sx={{ maxWidth: 260, overflowWrap: 'anywhere' }}>{row.scopes.slice(0, 4).join(' ')}{row.scopes.length > 4 ? ' …' : ''}</Typography> },
    { field: 'created', header: k.columns.created, hideBelow: 'md', render: (row) => dateTime(row.created) },
    { field: 'used', header: k.columns.lastUsed, hideBelow: 'sm', render: (row) => fromNow(row.last_activity) },
    { field: 'expires', header: k.columns.expires, render: (row) => (row.expires_at ? fromNow(row.expires_at) : t.common.never) },
    {
      field: 'actions', header: k.columns.actions, align: 'right',
      render: (row) => (
        <ConfirmButton label={`${k.revoke} ${row.note}`} icon={<Delete />} confirmLabel={k.revoke} question={k.revokeConfirm(row.note)}
          onConfirm={async () => { await api.tokens.revoke(me, row.id); notify(k.revoked); tokens.reload(); }} />
      ),
    },
  ];
  return (
    <>
      <PageHeader title={k.title}>
        <Typography color="text.secondary">{k.intro}</Typography>
      </PageHeader>
      <CreateToken created={(token) => { setFresh(token); tokens.reload(); }} />
      {fresh && (
        <Alert severity="success" sx={{ mb: 3, maxWidth: 720 }} onClose={() => setFresh(null)}>
          <Typography sx={{ mb: 1 }}>{k.shownOnce}</Typography>
          <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
            <Box component="code" aria-label={k.newToken} sx={{ p: 1, bgcolor: 'background.paper', borderRadius: 1, fontSize: '1rem', overflowWrap: 'anywhere' }}>{fresh.token}</Box>
            <CopyButton text={fresh.token} />
          </Box>
        </Alert>
      )}
      <Typography variant="h2" sx={{ mb: 1.5 }}>{k.list}</Typography>
      <DataTable label={k.list} rows={tokens.data} rowKey={(row) => row.id} columns={columns} loading={tokens.loading}
        error={tokens.error} retry={tokens.reload} empty={k.empty} />
    </>
  );
}
