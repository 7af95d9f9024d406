import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { Box, Paper, Stack, Typography, useColorScheme } from '@mui/material';
import { forwardRef, useEffect, useImperativeHandle, useRef, type ReactNode } from 'react';
import { CopyButton } from './CopyButton.tsx';

export interface LogHandle {
  write(text: string): void;
  clear(): void;
}

const MAX_COPY = 4 * 1024 * 1024;
const THEMES = {
  dark: { background: '#0d1017', foreground: '#e6e9f2' },
  light: { background: '#fbfcfe', foreground: '#1b2133', cursor: '#1b2133', selectionBackground: '#c9d6f7' },
};

/** Build and server logs in a terminal (ANSI colours, progress lines), with Copy of everything written. */
export const LogView = forwardRef<LogHandle, { label: string; height?: number; actions?: ReactNode }>(function LogView({ label, height = 420, actions }, ref) {
  const box = useRef<HTMLDivElement>(null);
  const term = useRef<Terminal | null>(null);
  const text = useRef('');
  const pending = useRef<string[]>([]);
  const { mode, systemMode } = useColorScheme();
  const dark = (mode === 'system' ? systemMode : mode) === 'dark';
  const darkRef = useRef(dark);
  darkRef.current = dark;

  useImperativeHandle(ref, () => ({
    write(chunk: string) {
      if (text.current.length < MAX_COPY) text.current += chunk;
      const t = term.current;
      if (!t) {
        pending.current.push(chunk);
        return;
      }
      // Follow the end of the log, unless the reader has scrolled up to read.
      const b = t.buffer.active;
      const following = b.viewportY >= b.baseY;
      t.write(chunk, () => { if (following) t.scrollToBottom(); });
    },
    clear() {
      text.current = '';
      term.current?.reset();
    },
  }), []);

  useEffect(() => {
    const t = new Terminal({ convertEol: true, disableStdin: true, scrollback: 20_000, fontSize: 13, cursorBlink: false, theme: darkRef.current ? THEMES.dark : THEMES.light });
    const fit = new FitAddon();
    t.loadAddon(fit);
    t.open(box.current!);
    // The helper textarea takes keys for a shell; a log has none, so keep it out of the tab order.
    box.current?.querySelector('textarea')?.setAttribute('tabindex', '-1');
    box.current?.querySelector('textarea')?.setAttribute('aria-label', label);
    fit.fit();
    term.current = t;
    for (const chunk of pending.current) t.write(chunk);
    if (pending.current.length) t.write('', () => t.scrollToBottom());
    pending.current = [];
    const resize = new ResizeObserver(() => fit.fit());
    resize.observe(box.current!);
    return () => {
      resize.disconnect();
      t.dispose();
      term.current = null;
    };
  }, [label]);

  useEffect(() => {
    if (term.current) term.current.options.theme = dark ? THEMES.dark : THEMES.light;
  }, [dark]);

  return (
    <Paper variant="outlined" sx={{ p: 1.5 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', mb: 1, flexWrap: 'wrap' }}>
        <Typography variant="h3" component="h2" sx={{ flexGrow: 1 }}>{label}</Typography>
        {actions}
        <CopyButton text={() => text.current} />
      </Stack>
      <Box ref={box} role="log" aria-label={label} tabIndex={0} sx={{ height, bgcolor: dark ? THEMES.dark.background : THEMES.light.background, borderRadius: 1, p: 0.5 }} />
    </Paper>
  );
});
