import { createTheme } from '@mui/material/styles';

// The same colours as the hub's server-rendered pages (src/pages/html.ts), light and dark.
export const theme = createTheme({
  cssVariables: { colorSchemeSelector: 'class' },
  colorSchemes: {
    light: { palette: { primary: { main: '#2f55b4' }, secondary: { main: '#8a3fb0' }, background: { default: '#f4f6fb' } } },
    dark: { palette: { primary: { main: '#9db7ff' }, secondary: { main: '#d9a3f0' }, background: { default: '#10131b', paper: '#1b202c' } } },
  },
  shape: { borderRadius: 10 },
  typography: {
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
    h1: { fontSize: '1.6rem', fontWeight: 600 },
    h2: { fontSize: '1.25rem', fontWeight: 600 },
    h3: { fontSize: '1.05rem', fontWeight: 600 },
  },
  components: {
    MuiCssBaseline: {
      // A focus ring that shows on every control reached by keyboard, in both modes.
      styleOverrides: { ':focus-visible': { outline: '3px solid var(--mui-palette-primary-main)', outlineOffset: 2 } },
    },
    MuiButton: { defaultProps: { disableElevation: true }, styleOverrides: { root: { textTransform: 'none' } } },
    MuiToggleButton: { styleOverrides: { root: { textTransform: 'none' } } },
    MuiTableCell: { styleOverrides: { head: { fontWeight: 600 } } },
    // Opaque tooltips: MUI's translucent grey fails contrast over dark pages.
    MuiTooltip: {
      styleOverrides: {
        tooltip: ({ theme: th }) => ({
          backgroundColor: '#1b2133', color: '#fff', fontSize: '0.8rem',
          ...th.applyStyles('dark', { backgroundColor: '#e6e9f2', color: '#10131b' }),
        }),
      },
    },
  },
});
