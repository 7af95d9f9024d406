import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Builds Plasma's base images with no registry: a minimal Debian root from debootstrap, imported into
 * Docker, then a Jupyter layer from Debian's own packages. Offline sites only need a Debian mirror.
 */
export interface BootstrapOptions {
  rootImage?: string;
  baseImage?: string;
  suite?: string;
  mirror?: string;
  force?: boolean;
  progress?: (line: string) => void;
}

export const DEFAULT_ROOT_IMAGE = 'plasma/debian:bookworm';
export const DEFAULT_BASE_IMAGE = 'plasma/base:latest';

function run(cmd: string, args: string[], options: { input?: NodeJS.ReadableStream; progress?: (l: string) => void; cwd?: string } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (options.input) options.input.pipe(child.stdin!);
    let tail = '';
    const onData = (d: Buffer) => {
      const text = d.toString();
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) options.progress?.(line.trimEnd());
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('error', (err) => reject(new Error(`${cmd} could not run: ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args[0]} failed (exit ${code}):\n${tail}`))));
  });
}

async function imageExists(name: string): Promise<boolean> {
  try {
    await run('docker', ['image', 'inspect', name]);
    return true;
  } catch {
    return false;
  }
}

const WELCOME_NOTEBOOK = {
  cells: [
    { cell_type: 'markdown', metadata: {}, source: ['# Welcome to Plasma\n', '\n', 'This folder is yours and is kept on the server between sessions. ',
      'Shared course material is in `/srv/data` (read-only).'] },
    { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: ['import sys\n', 'print(sys.version)'] },
  ],
  metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
  nbformat: 4,
  nbformat_minor: 5,
};

function dockerfile(root: string): string {
  return `FROM ${root}
# Only Debian packages: the image builds wherever a Debian mirror is reachable.
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      jupyterhub python3-notebook python3-ipykernel ca-certificates locales less procps \\
 && sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen \\
 && rm -rf /var/lib/apt/lists/*
ENV LANG=en_US.UTF-8 SHELL=/bin/bash
# Starter content copied (never over the user's own files) into each user's environment folder.
COPY jovyan/ /home/jovyan/
RUN chmod -R a+rX /home/jovyan
LABEL plasma.environment.name="base" plasma.environment.display_name="Python 3 (Debian)" plasma.base="true"
CMD ["jupyterhub-singleuser"]
`;
}

export async function bootstrapImages(options: BootstrapOptions = {}): Promise<{ root: string; base: string; built: string[] }> {
  const root = options.rootImage ?? DEFAULT_ROOT_IMAGE;
  const base = options.baseImage ?? DEFAULT_BASE_IMAGE;
  const suite = options.suite ?? 'bookworm';
  const mirror = options.mirror ?? 'http://deb.debian.org/debian';
  const say = options.progress ?? (() => undefined);
  const built: string[] = [];

  if (!options.force && (await imageExists(root))) {
    say(`[1/2] ${root} exists, skipping (use --force to rebuild)`);
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-debootstrap-'));
    try {
      say(`[1/2] debootstrap ${suite} (minbase) from ${mirror}`);
      await run('debootstrap', ['--variant=minbase', suite, dir, mirror], { progress: (l) => /^I: (Retrieving|Validating|Extracting|Installing|Configuring|Base system)/.test(l) && say(`      ${l}`) });
      say(`[1/2] importing into Docker as ${root}`);
      const tar = spawn('tar', ['-C', dir, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
      await run('docker', ['import', '--change', 'CMD ["/bin/bash"]', '-', root], { input: tar.stdout! });
      built.push(root);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  if (!options.force && built.length === 0 && (await imageExists(base))) {
    say(`[2/2] ${base} exists, skipping (use --force to rebuild)`);
  } else {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-base-'));
    try {
      fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile(root));
      fs.mkdirSync(path.join(context, 'jovyan'));
      fs.writeFileSync(path.join(context, 'jovyan', 'Welcome.ipynb'), JSON.stringify(WELCOME_NOTEBOOK, null, 1));
      fs.writeFileSync(path.join(context, 'jovyan', 'README.md'), '# Your environment folder\n\nFiles here persist on the server.\n');
      say(`[2/2] building ${base} (jupyterhub-singleuser, notebook, ipykernel from Debian)`);
      await run('docker', ['build', '--network', 'host', '--progress', 'plain', '-t', base, context], {
        progress: (l) => /^#\d+ (\[|DONE|naming)/.test(l) && say(`      ${l}`),
      }).catch(async (err) => {
        // Older docker clients (no BuildKit) do not know --progress.
        if (!/unknown flag: --progress/.test(String(err))) throw err;
        await run('docker', ['build', '--network', 'host', '-t', base, context], { progress: (l) => /^Step /.test(l) && say(`      ${l}`) });
      });
      built.push(base);
    } finally {
      fs.rmSync(context, { recursive: true, force: true });
    }
  }
  say(`done: ${root}, ${base}${built.length ? ` (built ${built.join(', ')})` : ' (nothing to do)'}`);
  return { root, base, built };
}
