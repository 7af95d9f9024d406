import { lazy, Suspense, type ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/States.tsx';
import { config } from './config.ts';
import { Forbidden, NotFound } from './pages/NotFound.tsx';

// One chunk per page: a student's home never downloads the admin pages.
const Home = lazy(() => import('./pages/home/HomePage.tsx'));
const Frame = lazy(() => import('./pages/home/FramePage.tsx'));
const Spawn = lazy(() => import('./pages/spawn/SpawnPage.tsx'));
const SpawnPending = lazy(() => import('./pages/spawn/SpawnPendingPage.tsx'));
const NotRunning = lazy(() => import('./pages/home/NotRunningPage.tsx'));
const Users = lazy(() => import('./pages/admin/UsersPage.tsx'));
const User = lazy(() => import('./pages/admin/UserPage.tsx'));
const Groups = lazy(() => import('./pages/admin/GroupsPage.tsx'));
const Group = lazy(() => import('./pages/admin/GroupPage.tsx'));
const Environments = lazy(() => import('./pages/environments/EnvironmentsPage.tsx'));
const Environment = lazy(() => import('./pages/environments/EnvironmentPage.tsx'));
const Permissions = lazy(() => import('./pages/PermissionsPage.tsx'));
const Tokens = lazy(() => import('./pages/TokensPage.tsx'));
const Monitoring = lazy(() => import('./pages/monitoring/MonitoringPage.tsx'));
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
