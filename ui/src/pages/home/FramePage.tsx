import { Box, Button, CircularProgress, Paper, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { Empty, Failed, Loading } from '../../components/States.tsx';
import { serverLabel } from '../../format.ts';
import { useUser } from '../../hooks/useUser.ts';
import { statusOf } from '../../servers.ts';
import { t } from '../../strings/index.ts';
import { CullWarning } from './CullWarning.tsx';
import { SidePanel } from './SidePanel.tsx';

const SLOW_MS = 15_000;

/**
 * Links a Jupyter page opens in a new tab (notebooks from the file list, `window.open`) stay in the frame, as on
 * Plasma's home page; other sites still get their own tab. Only possible because the server is on our origin.
 */
function keepLinksInFrame(frame: HTMLIFrameElement): void {
  try {
    const win = frame.contentWindow as (Window & typeof globalThis) | null;
    if (!win) return;
    const ours = (href: string) => new URL(href, win.location.href).origin === window.location.origin;
    const original = win.open.bind(win);
    win.open = ((url?: string | URL, target?: string, features?: string) => {
      if (url === undefined || url === '' || ours(String(url))) {
        if (url) win.location.href = String(url);
        return win; // notebook 6 opens an empty window, then sets its location: that is this frame
      }
      return original(url, target, features);
    }) as typeof win.open;
    win.document.addEventListener('click', (e) => {
      const a = (e.target as Element | null)?.closest?.('a[target]') as HTMLAnchorElement | null;
      if (a && a.target !== '_self' && a.href && ours(a.href) && !e.defaultPrevented) {
        e.preventDefault();
        win.location.href = a.href;
      }
    }, true);
  } catch {
    // a page from another origin in the frame: leave it alone
  }
}

/** A running server full-screen in a frame, under a slim panel (Home, Stop, switch server). */
export default function FramePage() {
  const { user = '', server = '' } = useParams();
  const owner = useUser(user, 15_000);
  const frame = useRef<HTMLIFrameElement>(null);
  const [loaded, setLoaded] = useState(false);
  const [slow, setSlow] = useState(false);
  const [generation, setGeneration] = useState(0);
  const model = owner.data?.servers?.[server];
  const url = model && statusOf(model) === 'running' ? model.url : null;

  useEffect(() => {
    document.title = `${serverLabel(server)} · ${t.app.name}`;
  }, [server]);

  useEffect(() => {
    setLoaded(false);
    setSlow(false);
    const timer = setTimeout(() => setSlow(true), SLOW_MS);
    return () => clearTimeout(timer);
  }, [url, generation]);

  const onLoad = useCallback(() => {
    setLoaded(true);
    if (frame.current) keepLinksInFrame(frame.current);
  }, []);

  if (owner.error && !owner.data) return <Box sx={{ p: 3 }}><Failed error={owner.error} retry={owner.reload} /></Box>;
  if (!owner.data) return <Loading />;
  if (!url) {
    return (
      <Box component="main" sx={{ p: 3 }}>
        <Typography variant="h1" sx={{ mb: 2 }}>{t.notRunning.title}</Typography>
        <Empty action={<Button variant="contained" component={Link} to="/home">{t.frame.home}</Button>}>{t.notRunning.message(user)}</Empty>
      </Box>
    );
  }
  return (
    <Box component="main" sx={{ position: 'fixed', inset: 0 }}>
      <Typography variant="h1" sx={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>
        {t.frame.title(serverLabel(server))}
      </Typography>
      <SidePanel user={user} server={server} servers={owner.data.servers ?? {}} />
      <iframe key={generation} ref={frame} src={url} title={t.frame.title(serverLabel(server))} onLoad={onLoad}
        style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', border: 0 }} />
      <CullWarning user={user} server={server} running={!!url} />
      {!loaded && (
        <Box role="status" sx={{ position: 'absolute', inset: 0, display: 'flex', flexDirection: 'column', alignItems: 'center', justifyContent: 'center', gap: 2, bgcolor: 'background.default' }}>
          {slow ? (
            <Paper variant="outlined" sx={{ p: 3, textAlign: 'center' }}>
              <Typography sx={{ mb: 2 }}>{t.frame.slow}</Typography>
              <Button variant="contained" onClick={() => setGeneration((g) => g + 1)}>{t.frame.reload}</Button>
            </Paper>
          ) : (
            <>
              <CircularProgress aria-hidden />
              <Typography>{t.frame.loading}</Typography>
            </>
          )}
        </Box>
      )}
    </Box>
  );
}
