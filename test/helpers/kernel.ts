import crypto from 'node:crypto';
import WebSocket from 'ws';

/**
 * Runs code in a real Jupyter kernel of a user's server, as a notebook does: start a kernel through the
 * server's REST API, send an execute_request on its websocket, collect what it prints, shut it down.
 */
export async function runInKernel(serverUrl: string, token: string, code: string, kernelName = 'python3'): Promise<{ stdout: string; error: string | null }> {
  const base = serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`;
  const headers = { Authorization: `token ${token}`, 'Content-Type': 'application/json' };
  const started = await fetch(`${base}api/kernels`, { method: 'POST', headers, body: JSON.stringify({ name: kernelName }) });
  if (started.status !== 201) throw new Error(`starting a ${kernelName} kernel answered ${started.status}: ${await started.text()}`);
  const kernel = (await started.json()) as { id: string };
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}api/kernels/${kernel.id}/channels`, { headers: { Authorization: `token ${token}` } });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const msgId = crypto.randomUUID();
    const session = crypto.randomUUID();
    let stdout = '';
    let error: string | null = null;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the kernel did not finish within 60 s; output so far: ${stdout}`)), 60_000);
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString());
        if (msg.parent_header?.msg_id !== msgId) return;
        if (msg.msg_type === 'stream') stdout += msg.content.text;
        if (msg.msg_type === 'error') error = `${msg.content.ename}: ${msg.content.evalue}`;
        if (msg.msg_type === 'status' && msg.content.execution_state === 'idle') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    ws.send(JSON.stringify({
      header: { msg_id: msgId, username: 'plasma-test', session, msg_type: 'execute_request', version: '5.3', date: new Date().toISOString() },
      parent_header: {}, metadata: {}, channel: 'shell',
      content: { code, silent: false, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: true },
    }));
    await done;
    return { stdout, error };
  } finally {
    ws.close();
    await fetch(`${base}api/kernels/${kernel.id}`, { method: 'DELETE', headers }).catch(() => undefined);
  }
}
