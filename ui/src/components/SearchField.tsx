import { TextField } from '@mui/material';
import { useEffect, useState } from 'react';

/**
 * A search box whose text is the page's own while typing; the URL (and so the hub's query) follows once the typing
 * pauses, so each key press does not become a request or a history entry.
 */
export function SearchField({ id, label, value, onChange, minWidth = 240 }: {
  id: string; label: string; value: string; onChange: (value: string) => void; minWidth?: number;
}) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return undefined;
    const timer = setTimeout(() => onChange(text.trim()), 300);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return <TextField id={id} type="search" size="small" label={label} value={text} onChange={(e) => setText(e.target.value)} sx={{ minWidth }} />;
}
