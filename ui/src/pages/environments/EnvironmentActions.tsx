import Delete from '@mui/icons-material/DeleteOutlined';
import Refresh from '@mui/icons-material/Refresh';
import { ApiError, api } from '../../api/client.ts';
import type { Environment } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { messageOf } from '../../format.ts';
import { t } from '../../strings/index.ts';
import { isBuilding } from './BuildStatus.tsx';

const e = t.environments;

/** Why a remove failed: the hub names the users whose servers still run in it. */
export function explainRemove(err: unknown): string {
  if (err instanceof ApiError && err.status === 409 && err.users?.length) {
    // The hub's message may name them already; say it once.
    return err.message && err.users.every((u) => err.message.includes(u)) ? err.message : `${err.message} ${e.inUse(err.users)}`.trim();
  }
  return messageOf(err);
}

export function RebuildButton({ env, done, icon = false }: { env: Environment; done: () => void; icon?: boolean }) {
  const label = icon ? `${e.rebuild} ${env.name}` : e.rebuild;
  return (
    <ConfirmButton label={label} icon={icon ? <Refresh /> : undefined} color="primary" confirmLabel={e.rebuild}
      question={e.rebuildConfirm(env.display_name || env.name)} disabled={isBuilding(env)}
      onConfirm={async () => { await api.environments.rebuild(env.name); done(); }} />
  );
}

export function CancelBuildButton({ env, done }: { env: Environment; done: () => void }) {
  if (!isBuilding(env)) return null;
  return (
    <ConfirmButton label={e.cancelBuild} question={e.cancelBuildConfirm(env.display_name || env.name)}
      onConfirm={async () => { await api.environments.cancel(env.name); done(); }} />
  );
}

export function RemoveButton({ env, done, icon = false }: { env: Environment; done: () => void; icon?: boolean }) {
  const label = icon ? `${e.remove} ${env.name}` : e.remove;
  return (
    <ConfirmButton label={label} icon={icon ? <Delete /> : undefined} confirmLabel={e.remove} question={e.removeConfirm(env.display_name || env.name)}
      explain={explainRemove} onConfirm={async () => { await api.environments.remove(env.name); done(); }} />
  );
}
