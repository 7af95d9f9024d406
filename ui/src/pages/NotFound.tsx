import { Button } from '@mui/material';
import { Link } from 'react-router';
import { Empty } from '../components/States.tsx';
import { PageHeader } from '../components/PageHeader.tsx';
import { t } from '../strings/index.ts';

export function NotFound() {
  return (
    <>
      <PageHeader title="404" />
      <Empty action={<Button component={Link} to="/home" variant="contained">{t.errors.back}</Button>}>{t.errors.notFound}</Empty>
    </>
  );
}

export function Forbidden() {
  return (
    <>
      <PageHeader title="403" />
      <Empty action={<Button component={Link} to="/home" variant="contained">{t.errors.back}</Button>}>{t.errors.forbidden}</Empty>
    </>
  );
}
