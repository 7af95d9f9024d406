import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NOTEBOOK_USER, VENV_DIR } from '../builder/render.ts';

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

/** Bumped whenever the recipe below changes, so `plasma image bootstrap` rebuilds an older base. */
export const BASE_RECIPE_VERSION = '2';

function dockerfile(root: string): string {
  const { name, uid } = NOTEBOOK_USER;
  return `FROM ${root}
# Only Debian packages: the image builds wherever a Debian mirror is reachable.
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \\
      jupyterhub python3-notebook python3-ipykernel python3-venv ca-certificates locales less procps \\
 && sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen \\
 && rm -rf /var/lib/apt/lists/*
ENV LANG=en_US.UTF-8 SHELL=/bin/bash
# The notebook user environments are built as (repo2docker's NB_USER); servers run as each student's own uid.
RUN useradd -m -u ${uid} -U -s /bin/bash ${name}
# A virtual environment over Debian's packages: requirements.txt installs here, and the server and its
# kernel run from it, so what an environment adds is importable in notebooks.
RUN python3 -m venv --system-site-packages ${VENV_DIR} \\
 && printf '#!${VENV_DIR}/bin/python3\\nimport sys\\nfrom jupyterhub.singleuser import main\\nsys.exit(main())\\n' > ${VENV_DIR}/bin/jupyterhub-singleuser \\
 && chmod 755 ${VENV_DIR}/bin/jupyterhub-singleuser \\
 && mkdir -p /usr/local/share/jupyter/kernels/python3 \\
 && printf '{"argv": ["${VENV_DIR}/bin/python3", "-m", "ipykernel_launcher", "-f", "{connection_file}"], "display_name": "Python 3 (ipykernel)", "language": "python"}\\n' > /usr/local/share/jupyter/kernels/python3/kernel.json \\
 && chown -R ${name}:${name} ${VENV_DIR}
ENV VIRTUAL_ENV=${VENV_DIR} PATH=${VENV_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# Starter content copied (never over the user's own files) into each user's environment folder.
COPY --chown=${name}:${name} jovyan/ /home/${name}/
RUN chmod -R a+rX /home/${name}
LABEL plasma.base="true" plasma.base.version="${BASE_RECIPE_VERSION}"
CMD ["jupyterhub-singleuser"]
`;
}

/** `docker image inspect --format`, or null when there is no such image. */
async function inspectImage(image: string, format: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('docker', ['image', 'inspect', '--format', format, image], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve(code === 0 ? out.trim() : null));
    child.on('error', () => resolve(null));
  });
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

  const baseVersion = await inspectImage(base, '{{ index .Config.Labels "plasma.base.version" }}');
  const replacedBase = await inspectImage(base, '{{ .Id }}');
  if (!options.force && built.length === 0 && baseVersion === BASE_RECIPE_VERSION) {
    say(`[2/2] ${base} exists, skipping (use --force to rebuild)`);
  } else {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), 'plasma-base-'));
    try {
      fs.writeFileSync(path.join(context, 'Dockerfile'), dockerfile(root));
      fs.mkdirSync(path.join(context, 'jovyan'));
      fs.writeFileSync(path.join(context, 'jovyan', 'Welcome.ipynb'), JSON.stringify(WELCOME_NOTEBOOK, null, 1));
      fs.writeFileSync(path.join(context, 'jovyan', 'README.md'), '# Your environment folder\n\nFiles here persist on the server.\n');
      const why = baseVersion === null ? '' : ` (replacing recipe ${baseVersion || '1'} with ${BASE_RECIPE_VERSION})`;
      say(`[2/2] building ${base}${why}: jupyterhub-singleuser, notebook, ipykernel from Debian, a venv in ${VENV_DIR}`);
      await run('docker', ['build', '--network', 'host', '--progress', 'plain', '-t', base, context], {
        progress: (l) => /^#\d+ (\[|DONE|naming)/.test(l) && say(`      ${l}`),
      }).catch(async (err) => {
        // Older docker clients (no BuildKit) do not know --progress.
        if (!/unknown flag: --progress/.test(String(err))) throw err;
        await run('docker', ['build', '--network', 'host', '-t', base, context], { progress: (l) => /^Step /.test(l) && say(`      ${l}`) });
      });
      built.push(base);
      // The base this one replaced, unless environments are still built on it.
      if (replacedBase && replacedBase !== (await inspectImage(base, '{{ .Id }}'))) {
        await run('docker', ['image', 'rm', replacedBase]).catch(() => undefined);
      }
    } finally {
      fs.rmSync(context, { recursive: true, force: true });
    }
  }
  say(`done: ${root}, ${base}${built.length ? ` (built ${built.join(', ')})` : ' (nothing to do)'}`);
  return { root, base, built };
}
