import { CssBaseline, ThemeProvider } from '@mui/material';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App.tsx';
import { NotifierProvider } from './components/Notifier.tsx';
import { basename } from './config.ts';
import { theme } from './theme.ts';

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
