import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/States.tsx';
import { config } from './config.ts';
import { Forbidden, NotFound } from './pages/NotFound.tsx';

// One bundle for the pages (one request, no waterfall before the first screen); the terminal (xterm, 84 kB
// gzipped) only where a log is shown.
import Home from './pages/home/HomePage.tsx';
import Frame from './pages/home/FramePage.tsx';
import Spawn from './pages/spawn/SpawnPage.tsx';
import SpawnPending from './pages/spawn/SpawnPendingPage.tsx';
import NotRunning from './pages/home/NotRunningPage.tsx';
import Users from './pages/admin/UsersPage.tsx';
import User from './pages/admin/UserPage.tsx';
import Groups from './pages/admin/GroupsPage.tsx';
import Group from './pages/admin/GroupPage.tsx';
import Environments from './pages/environments/EnvironmentsPage.tsx';
const Environment = lazy(() => import('./pages/environments/EnvironmentPage.tsx'));
import Permissions from './pages/PermissionsPage.tsx';
import Tokens from './pages/TokensPage.tsx';
import Monitoring from './pages/monitoring/MonitoringPage.tsx';
const ServerMonitor = lazy(() => import('./pages/monitoring/ServerMonitorPage.tsx'));

const page = (element: ReactNode, allowed = true) => (
  <Layout><Suspense fallback={<Loading />}>{allowed ? element : <Forbidden />}</Suspense></Layout>
);

export function App() {
  const can = config.can;
  return (
    <Routes>
      {/* The framed server fills the window: no layout around it. */}
      <Route path="/open/:user/:server?" element={<Suspense fallback={<Loading />}><Frame /></Suspense>} />
      <Route path="/home" element={page(<Home />)} />
      <Route path="/spawn" element={page(<Spawn />)} />
      <Route path="/spawn/:user/:server?" element={page(<Spawn />)} />
      <Route path="/spawn-pending/:user/:server?" element={page(<SpawnPending />)} />
      <Route path="/user/:user/:server?/*" element={page(<NotRunning />)} />
      <Route path="/token" element={page(<Tokens />)} />
      <Route path="/admin" element={<Navigate to="/admin/users" replace />} />
      <Route path="/admin/users" element={page(<Users />, can.admin)} />
      <Route path="/admin/users/:name" element={page(<User />, can.admin)} />
      <Route path="/admin/groups" element={page(<Groups />, can.admin)} />
      <Route path="/admin/groups/:name" element={page(<Group />, can.admin)} />
      <Route path="/environments" element={page(<Environments />, can.environments)} />
      <Route path="/environments/:name" element={page(<Environment />, can.environments)} />
      <Route path="/permissions" element={page(<Permissions />, can.permissions)} />
      <Route path="/monitoring" element={page(<Monitoring />, can.monitoring)} />
      <Route path="/monitoring/:user/:server?" element={page(<ServerMonitor />, can.monitoring)} />
      <Route path="*" element={page(<NotFound />)} />
    </Routes>
  );
}
