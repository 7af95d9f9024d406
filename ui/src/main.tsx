import { CssBaseline, ThemeProvider } from '@mui/material';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App.tsx';
import { NotifierProvider } from './components/Notifier.tsx';
import { primeUsersPage } from './pages/admin/UsersPage.tsx';
import { basename } from './config.ts';
import { theme } from './theme.ts';

// The admin's first screen: its data is on the way while React renders.
if (window.location.pathname === `${basename}/admin/users`) primeUsersPage(window.location.search);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ThemeProvider theme={theme} defaultMode="system">
      <CssBaseline />
      <NotifierProvider>
        <BrowserRouter basename={basename}>
          <App />
        </BrowserRouter>
      </NotifierProvider>
    </ThemeProvider>
  </StrictMode>,
);
