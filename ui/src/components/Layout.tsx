import DarkMode from '@mui/icons-material/DarkModeOutlined';
import Groups from '@mui/icons-material/GroupsOutlined';
import Home from '@mui/icons-material/HomeOutlined';
import Key from '@mui/icons-material/KeyOutlined';
import Layers from '@mui/icons-material/LayersOutlined';
import LightMode from '@mui/icons-material/LightModeOutlined';
import Lock from '@mui/icons-material/LockOutlined';
import Logout from '@mui/icons-material/Logout';
import Menu from '@mui/icons-material/Menu';
import People from '@mui/icons-material/PeopleOutlined';
import PlayArrow from '@mui/icons-material/PlayArrowOutlined';
import ShowChart from '@mui/icons-material/ShowChart';
import {
  AppBar, Box, Button, Divider, Drawer, IconButton, List, ListItem, ListItemButton, ListItemIcon, ListItemText, ListSubheader, Toolbar,
  Tooltip, Typography, useColorScheme,
} from '@mui/material';
import { useState, type ReactNode } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { config, hubPath } from '../config.ts';
import { t } from '../strings/index.ts';

const WIDTH = 232;

interface Item { to: string; label: string; icon: ReactNode; show: boolean }

function items(): Array<{ title?: string; entries: Item[] }> {
  const can = config.can;
  return [
    { entries: [
      { to: '/home', label: t.nav.home, icon: <Home />, show: true },
      { to: '/spawn', label: t.nav.spawn, icon: <PlayArrow />, show: true },
      { to: '/token', label: t.nav.tokens, icon: <Key />, show: true },
    ] },
    { title: t.nav.admin, entries: [
      { to: '/admin/users', label: t.nav.users, icon: <People />, show: can.admin },
      { to: '/admin/groups', label: t.nav.groups, icon: <Groups />, show: can.admin },
      { to: '/environments', label: t.nav.environments, icon: <Layers />, show: can.environments },
      { to: '/permissions', label: t.nav.permissions, icon: <Lock />, show: can.permissions },
      { to: '/monitoring', label: t.nav.monitoring, icon: <ShowChart />, show: can.monitoring },
    ] },
  ].map((section) => ({ ...section, entries: section.entries.filter((e) => e.show) })).filter((s) => s.entries.length);
}

function Nav({ onNavigate }: { onNavigate: () => void }) {
  const { pathname } = useLocation();
  return (
    <Box component="nav" aria-label={t.nav.label}>
      {items().map((section, i) => (
        <List key={i} dense subheader={section.title ? <ListSubheader>{section.title}</ListSubheader> : undefined}>
          {section.entries.map((e) => (
            <ListItem key={e.to} disablePadding>
              <ListItemButton component={NavLink} to={e.to} onClick={onNavigate} selected={pathname === e.to || pathname.startsWith(`${e.to}/`)}>
                <ListItemIcon sx={{ minWidth: 36 }}>{e.icon}</ListItemIcon>
                <ListItemText primary={e.label} />
              </ListItemButton>
            </ListItem>
          ))}
        </List>
      ))}
    </Box>
  );
}

function ModeToggle() {
  const { mode, systemMode, setMode } = useColorScheme();
  const dark = (mode === 'system' ? systemMode : mode) === 'dark';
  const label = dark ? t.nav.lightMode : t.nav.darkMode;
  return (
    <Tooltip title={label}>
      <IconButton color="inherit" aria-label={label} onClick={() => setMode(dark ? 'light' : 'dark')}>
        {dark ? <LightMode /> : <DarkMode />}
      </IconButton>
    </Tooltip>
  );
}

/** The one layout: top bar, navigation (a drawer on phones), the page. */
export function Layout({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const drawer = <><Toolbar /><Nav onNavigate={() => setOpen(false)} /></>;
  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <Box component="a" href="#main" sx={{ position: 'absolute', left: -9999, zIndex: 2000, '&:focus': { left: 8, top: 8, p: 1, bgcolor: 'background.paper' } }}>
        {t.app.skip}
      </Box>
      <AppBar position="fixed" elevation={0} sx={{ zIndex: (th) => th.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 1 }}>
          <IconButton color="inherit" edge="start" aria-label={t.nav.menu} onClick={() => setOpen(true)} sx={{ display: { md: 'none' } }}>
            <Menu />
          </IconButton>
          <Box component={Link} to="/home" sx={{ display: 'flex', alignItems: 'center', gap: 1, color: 'inherit', textDecoration: 'none', flexGrow: 1 }}>
            <img src={hubPath('logo')} alt="" width={30} height={30} />
            <Typography component="span" variant="h6" sx={{ fontWeight: 600 }}>{t.app.name}</Typography>
          </Box>
          <Typography component="span" sx={{ display: { xs: 'none', sm: 'inline' }, opacity: 0.9 }} title={t.nav.signedInAs(config.user.name)}>
            {config.user.name}
          </Typography>
          <ModeToggle />
          <Button color="inherit" href={hubPath('logout')} startIcon={<Logout />} sx={{ display: { xs: 'none', sm: 'inline-flex' } }}>
            {t.nav.logout}
          </Button>
          <Tooltip title={t.nav.logout}>
            <IconButton color="inherit" href={hubPath('logout')} aria-label={t.nav.logout} sx={{ display: { sm: 'none' } }}><Logout /></IconButton>
          </Tooltip>
        </Toolbar>
      </AppBar>
      <Drawer variant="temporary" open={open} onClose={() => setOpen(false)} sx={{ display: { md: 'none' }, '& .MuiDrawer-paper': { width: WIDTH } }}>
        {drawer}
      </Drawer>
      <Drawer variant="permanent" sx={{ display: { xs: 'none', md: 'block' }, width: WIDTH, flexShrink: 0, '& .MuiDrawer-paper': { width: WIDTH } }}>
        {drawer}
        <Divider sx={{ mt: 'auto' }} />
        <Typography variant="caption" color="text.secondary" sx={{ p: 2 }}>{t.app.version(config.version)}</Typography>
      </Drawer>
      <Box component="main" id="main" tabIndex={-1} sx={{ flexGrow: 1, minWidth: 0, p: { xs: 2, sm: 3 }, outline: 'none' }}>
        <Toolbar />
        {children}
      </Box>
    </Box>
  );
}
