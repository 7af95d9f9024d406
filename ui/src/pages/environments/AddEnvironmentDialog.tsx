import {
  Accordion, AccordionDetails, AccordionSummary, Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, TextField,
} from '@mui/material';
import ExpandMore from '@mui/icons-material/ExpandMore';
import { useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { ApiError, api } from '../../api/client.ts';
import type { NewEnvironment } from '../../api/types.ts';
import { messageOf } from '../../format.ts';
import { t } from '../../strings/index.ts';
import { buildArgsProblem, cpuProblem, envNameProblem, memoryProblem, repoProblem } from '../../validation.ts';

const f = t.environments.form;
type Field = 'repo' | 'ref' | 'name' | 'display_name' | 'description' | 'memory' | 'cpu' | 'buildargs' | 'username' | 'password';
const EMPTY: Record<Field, string> = { repo: '', ref: '', name: '', display_name: '', description: '', memory: '', cpu: '', buildargs: '', username: '', password: '' };

function problemsOf(v: Record<Field, string>): Partial<Record<Field, string>> {
  const found: Partial<Record<Field, string>> = {};
  const checks: Array<[Field, string | null]> = [
    ['repo', repoProblem(v.repo.trim())], ['name', envNameProblem(v.name.trim())], ['memory', memoryProblem(v.memory.trim())],
    ['cpu', cpuProblem(v.cpu.trim())], ['buildargs', buildArgsProblem(v.buildargs)],
  ];
  for (const [field, problem] of checks) if (problem) found[field] = problem;
  return found;
}

/** Repository, ref, names, limits, build arguments, credentials; checked here first, then by the hub. */
export function AddEnvironmentDialog({ added }: { added: () => void }) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState(EMPTY);
  const [problems, setProblems] = useState<Partial<Record<Field, string>>>({});
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const titleId = useId();

  const close = () => {
    if (busy) return;
    setOpen(false);
    setValues(EMPTY);
    setProblems({});
    setError(null);
  };
  const field = (name: Field, label: string, extra: Record<string, unknown> = {}) => (
    <TextField id={`env-${name}`} label={label} value={values[name]} fullWidth margin="dense"
      onChange={(e) => { setValues((v) => ({ ...v, [name]: e.target.value })); setProblems((p) => ({ ...p, [name]: undefined })); }}
      error={!!problems[name]} helperText={problems[name] || (extra.help as string) || ' '} {...extra} />
  );
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const found = problemsOf(values);
    setProblems(found);
    if (Object.keys(found).length) return;
    const body: NewEnvironment = { repo: values.repo.trim() };
    for (const key of ['ref', 'name', 'display_name', 'description', 'memory', 'buildargs', 'username', 'password'] as const) {
      const value = key === 'password' ? values[key] : values[key].trim();
      if (value) body[key] = value;
    }
    if (values.cpu.trim()) body.cpu = Number(values.cpu.trim());
    setBusy(true);
    setError(null);
    try {
      const created = await api.environments.create(body);
      added();
      setBusy(false);
      close();
      navigate(`/environments/${encodeURIComponent(created.environment.name)}`);
    } catch (err) {
      setBusy(false);
      // The hub names the field it refused: show its message there.
      if (err instanceof ApiError && err.field && err.field in EMPTY) setProblems({ [err.field]: err.message });
      else setError(err);
    }
  };
  return (
    <>
      <Button variant="contained" onClick={() => setOpen(true)}>{t.environments.add}</Button>
      <Dialog open={open} onClose={close} aria-labelledby={titleId} fullWidth maxWidth="sm">
        <form onSubmit={submit} noValidate>
          <DialogTitle id={titleId}>{f.title}</DialogTitle>
          <DialogContent>
            {field('repo', f.repo, { autoFocus: true, required: true })}
            {field('ref', f.ref, { placeholder: 'HEAD' })}
            <Box sx={{ display: 'grid', gap: { sm: 2 }, gridTemplateColumns: { sm: '1fr 1fr' } }}>
              {field('name', f.name, { help: f.nameHelp })}
              {field('display_name', f.displayName, { help: f.displayNameHelp })}
            </Box>
            {field('description', f.description)}
            <Box sx={{ display: 'grid', gap: { sm: 2 }, gridTemplateColumns: { sm: '1fr 1fr' } }}>
              {field('memory', f.memory, { placeholder: '2G' })}
              {field('cpu', f.cpu, { placeholder: '1.5', inputMode: 'decimal' })}
            </Box>
            {field('buildargs', f.buildArgs, { multiline: true, minRows: 2, help: f.buildArgsHelp })}
            <Accordion disableGutters variant="outlined" sx={{ mt: 1 }}>
              <AccordionSummary expandIcon={<ExpandMore />}>{f.credentials}</AccordionSummary>
              <AccordionDetails>
                {field('username', f.username, { autoComplete: 'off' })}
                {field('password', f.password, { type: 'password', autoComplete: 'new-password' })}
              </AccordionDetails>
            </Accordion>
            {error !== null && <Alert severity="error" sx={{ mt: 2 }}>{messageOf(error)}</Alert>}
          </DialogContent>
          <DialogActions>
            <Button onClick={close} disabled={busy}>{t.common.cancel}</Button>
            <Button type="submit" variant="contained" disabled={busy}>{f.submit}</Button>
          </DialogActions>
        </form>
      </Dialog>
    </>
  );
}
