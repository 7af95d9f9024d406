import ContentCopy from '@mui/icons-material/ContentCopy';
import { Button } from '@mui/material';
import { useState } from 'react';
import { t } from '../strings/index.ts';

/** The clipboard API needs a secure context; plain-HTTP hubs fall back to the older copy command. */
async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

export function CopyButton({ text, label = t.common.copy }: { text: string | (() => string); label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button size="small" variant="outlined" startIcon={<ContentCopy />} aria-live="polite"
      onClick={async () => {
        await copyText(typeof text === 'function' ? text() : text);
        setDone(true);
        setTimeout(() => setDone(false), 2000);
      }}>
      {done ? t.common.copied : label}
    </Button>
  );
}
