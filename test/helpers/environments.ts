/** Talking to /hub/api/plasma/environments as the UI and the CLI do. */

/** A hub to talk to: a test Stack, or an Installation. */
export interface HubUnderTest {
  apiUrl: string;
  adminToken: string;
  api(method: string, path: string, options?: { token?: string; json?: unknown }): Promise<{ status: number; data: any; text: string }>;
}

export interface LogEvent {
  phase: 'log' | 'progress' | 'status' | 'built' | 'error';
  message?: string;
  step?: number;
  total?: number;
  status?: string;
}

/** Reads a build's event stream to its final event (built or error). */
export async function followBuild(stack: HubUnderTest, name: string, token?: string): Promise<{ events: LogEvent[]; log: string; outcome: LogEvent }> {
  const res = await fetch(`${stack.apiUrl}/plasma/environments/${name}/logs`, {
    headers: { Authorization: `token ${token ?? stack.adminToken}`, Accept: 'text/event-stream' }, signal: AbortSignal.timeout(900_000),
  });
  if (!res.ok) throw new Error(`logs of ${name} answered ${res.status}: ${await res.text()}`);
  const text = await res.text();
  const events = text.split('\n\n').filter((b) => b.startsWith('data: ')).map((b) => JSON.parse(b.slice(6)) as LogEvent);
  const outcome = events.at(-1);
  if (!outcome || (outcome.phase !== 'built' && outcome.phase !== 'error')) throw new Error(`the log stream of ${name} ended without an outcome`);
  return { events, log: events.filter((e) => e.phase === 'log').map((e) => e.message).join(''), outcome };
}

/** Adds an environment and waits for its build; throws with the log when it fails. */
export async function addEnvironment(stack: HubUnderTest, body: Record<string, unknown>, options: { token?: string; expect?: 'built' | 'error' } = {}) {
  const res = await stack.api('POST', '/plasma/environments', { json: body, token: options.token });
  if (res.status !== 202) throw new Error(`adding ${JSON.stringify(body.name ?? body.repo)} answered ${res.status}: ${res.text}`);
  const name = res.data.environment.name as string;
  const build = await followBuild(stack, name, options.token);
  const expected = options.expect ?? 'built';
  if (build.outcome.phase !== expected) throw new Error(`build of ${name} ended ${build.outcome.phase} (${build.outcome.message}):\n${build.log.slice(-4000)}`);
  return { name, accepted: res.data, ...build };
}
