import ChevronLeft from '@mui/icons-material/ChevronLeft';
import ChevronRight from '@mui/icons-material/ChevronRight';
import Home from '@mui/icons-material/HomeOutlined';
import SwapHoriz from '@mui/icons-material/SwapHoriz';
import { Box, Button, ButtonBase, Menu, MenuItem, Paper, Stack } from '@mui/material';
import { useEffect, useId, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../../api/client.ts';
import type { ServerModel } from '../../api/types.ts';
import { ConfirmButton } from '../../components/ConfirmButton.tsx';
import { hubPath } from '../../config.ts';
import { serverLabel } from '../../format.ts';
import { openPath, sortedServers, statusOf } from '../../servers.ts';
import { t } from '../../strings/index.ts';

/** A slim tab on the right edge of the framed server; it opens into Home, Stop and Switch server. */
export function SidePanel({ user, server, servers }: { user: string; server: string; servers: Record<string, ServerModel> }) {
  const [open, setOpen] = useState(true);
  const touched = useRef(false);
  const [menu, setMenu] = useState<HTMLElement | null>(null);
  const navigate = useNavigate();
  const panelId = useId();
  const others = sortedServers(servers).filter((s) => s.name !== server && statusOf(s) === 'running');

  // Shown for a moment so it is noticed, then folded away.
  useEffect(() => {
    const timer = setTimeout(() => touched.current || setOpen(false), 2500);
    return () => clearTimeout(timer);
  }, []);

  return (
    <Box sx={{ position: 'absolute', right: 0, top: '50%', transform: 'translateY(-50%)', display: 'flex', flexDirection: 'row-reverse', alignItems: 'center', zIndex: 10 }}>
      <ButtonBase onClick={() => { touched.current = true; setOpen((o) => !o); }} aria-expanded={open} aria-controls={panelId}
        aria-label={open ? t.frame.hidePanel : t.frame.showPanel} title={open ? t.frame.hidePanel : t.frame.showPanel}
        sx={{ width: 28, height: 88, bgcolor: 'background.paper', color: 'primary.main', boxShadow: 4, borderRadius: open ? 0 : '10px 0 0 10px', flexDirection: 'column', gap: 0.5 }}>
        <img src={hubPath('logo')} alt="" width={20} height={20} />
        {open ? <ChevronRight fontSize="small" /> : <ChevronLeft fontSize="small" />}
      </ButtonBase>
      <Paper id={panelId} role="region" aria-label={t.frame.panel} elevation={6} hidden={!open}
        sx={{ p: 1, borderRadius: '10px 0 0 10px', display: open ? 'block' : 'none' }}>
        <Stack spacing={1}>
          <Button component={Link} to="/home" startIcon={<Home />} variant="contained" size="small">{t.frame.home}</Button>
          <ConfirmButton label={t.frame.stop} size="small" variant="contained" question={t.frame.stopConfirm}
            onConfirm={async () => { await api.servers.stop(user, server); navigate('/home'); }} />
          {others.length > 0 && (
            <>
              <Button size="small" variant="outlined" startIcon={<SwapHoriz />} onClick={(e) => setMenu(e.currentTarget)} aria-haspopup="menu">
                {t.frame.switchServer}
              </Button>
              <Menu anchorEl={menu} open={menu !== null} onClose={() => setMenu(null)}>
                {others.map((s) => (
                  <MenuItem key={s.name} onClick={() => { setMenu(null); navigate(openPath(user, s.name)); }}>{serverLabel(s.name)}</MenuItem>
                ))}
              </Menu>
            </>
          )}
        </Stack>
      </Paper>
    </Box>
  );
}
