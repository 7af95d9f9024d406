import path from 'node:path';
import type { RepoPlan } from './detect.ts';

/**
 * The Dockerfile for a repository without one, on Plasma's base image. Dependency layers (system packages,
 * pip, R) come before the copy of the repository, so a rebuild after a content-only change reuses them.
 * Nothing from the repository is pasted into a RUN line: files are copied in, and only validated names
 * (apt packages, the configuration folder, script paths) appear in the text.
 */

export interface RenderOptions {
  baseImage: string;
  notebookUser: { name: string; uid: number };
  aptMirror?: string;
  pipIndexUrl?: string;
  conda?: { base_image: string; executable: string };
  juliaPackage?: string;
  /** Names of the teacher's build arguments, declared for postBuild. */
  buildArgNames: string[];
}

export interface RenderedBuild {
  dockerfile: string;
  /** Files Plasma adds to the build context beside the repository (under plasma/). */
  files: Record<string, string>;
}

/** The user environments are built as (repo2docker's NB_USER; tljh-repo2docker's uid); servers run as each student. */
export const NOTEBOOK_USER = { name: 'jovyan', uid: 1100 };
/** Where the repository goes in the image: the notebook user's home (repo2docker's REPO_DIR). */
export const REPO_DIR = '/home/jovyan';
/** The base image's virtual environment, where pip installs (Debian's PEP 668 forbids pip in the system Python). */
export const VENV_DIR = '/srv/venv';

const APT_INSTALL = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends';
const APT_CLEAN = 'apt-get clean && rm -rf /var/lib/apt/lists/*';

export function renderDockerfile(plan: RepoPlan, options: RenderOptions): RenderedBuild {
  const user = options.notebookUser.name;
  const owned = `--chown=${user}:${user}`;
  const files: Record<string, string> = {};
  const lines: string[] = [
    '# Rendered by Plasma from the repository\'s repo2docker files.',
    ...plan.notes.map((n) => `# Note: ${n}`),
    `FROM ${plan.condaFile ? options.conda!.base_image : options.baseImage}`,
    'USER root',
  ];
  const needsApt = plan.apt.length > 0 || plan.r || plan.juliaProject;
  if (needsApt && options.aptMirror) {
    lines.push('ARG PLASMA_APT_MIRROR',
      'RUN . /etc/os-release && printf \'deb %s %s main\\n\' "$PLASMA_APT_MIRROR" "$VERSION_CODENAME" > /etc/apt/sources.list && rm -f /etc/apt/sources.list.d/*');
  }
  if (plan.r) {
    const packages = ['r-base-core', 'r-cran-irkernel', ...(plan.r.description ? ['r-cran-remotes'] : [])];
    lines.push(
      // Debian's r-cran-irkernel installs the `ir` kernel spec itself.
      `RUN ${APT_INSTALL} ${packages.join(' ')} && ${APT_CLEAN} && mkdir -p /srv/rlibs && chown ${user}:${user} /srv/rlibs`,
      // Prepended to R's library paths: packages install.R adds go here, Debian's stay visible.
      'ENV R_LIBS=/srv/rlibs',
    );
  }
  if (plan.juliaProject) {
    lines.push(
      `RUN ${APT_INSTALL} ${options.juliaPackage} && ${APT_CLEAN} && mkdir -p /srv/julia && chown ${user}:${user} /srv/julia`,
      'ENV JULIA_DEPOT_PATH=/srv/julia',
    );
  }
  if (plan.apt.length) {
    files['plasma/apt.txt'] = plan.apt.join('\n') + '\n';
    lines.push('COPY plasma/apt.txt /tmp/plasma/apt.txt',
      `RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive xargs -a /tmp/plasma/apt.txt apt-get install -y --no-install-recommends && ${APT_CLEAN} /tmp/plasma`);
  }
  if (plan.condaFile) {
    lines.push(`COPY ${owned} ${path.posix.join('src', plan.condaFile)} /tmp/plasma/environment.yml`,
      `RUN ${options.conda!.executable} env update -n base -f /tmp/plasma/environment.yml && rm -rf /tmp/plasma`);
  }
  lines.push(`USER ${user}`);
  const pipArgs = options.pipIndexUrl ? ['ARG PIP_INDEX_URL', 'ARG PIP_TRUSTED_HOST'] : [];
  if (plan.python && !plan.python.local) {
    files['plasma/requirements.txt'] = plan.python.lines.join('\n') + '\n';
    lines.push(`COPY ${owned} plasma/requirements.txt /tmp/plasma/requirements.txt`, ...pipArgs,
      'RUN pip install --no-cache-dir -r /tmp/plasma/requirements.txt');
  }
  if (plan.r?.installR) {
    lines.push(`COPY ${owned} ${path.posix.join('src', plan.r.installR)} /tmp/plasma/install.R`,
      'RUN cd /tmp/plasma && Rscript install.R');
  }

  // The repository itself; every step below reruns when its content changes.
  lines.push(`COPY ${owned} src/ ${REPO_DIR}/`, `WORKDIR ${REPO_DIR}`);
  if (plan.python?.local) {
    const file = plan.python.from.endsWith('requirements.txt') ? plan.python.from : '.plasma-requirements.txt';
    if (file === '.plasma-requirements.txt') {
      files['plasma/requirements.txt'] = plan.python.lines.join('\n') + '\n';
      lines.push(`COPY ${owned} plasma/requirements.txt ${REPO_DIR}/${file}`);
    }
    lines.push(...pipArgs, `RUN pip install --no-cache-dir -r ${file}`);
  }
  if (plan.pythonPackage) lines.push(...(plan.python?.local ? [] : pipArgs), 'RUN pip install --no-cache-dir .');
  if (plan.r?.description) lines.push('RUN R --quiet -e \'remotes::install_local(".", upgrade = "never")\'');
  if (plan.juliaProject) {
    const project = path.posix.join(REPO_DIR, path.posix.dirname(plan.juliaProject));
    lines.push(`ENV JULIA_PROJECT=${project}`,
      'RUN julia -e \'using Pkg; Pkg.instantiate(); Pkg.precompile()\'',
      'USER root',
      'RUN if julia -e \'exit(Base.find_package("IJulia") === nothing ? 1 : 0)\'; then JUPYTER_DATA_DIR=/usr/local/share/jupyter julia -e \'import IJulia; IJulia.installkernel("Julia")\'; else echo "IJulia is not in the project: no Julia kernel is installed"; fi',
      `USER ${user}`);
  }
  if (options.buildArgNames.length) lines.push(...options.buildArgNames.map((name) => `ARG ${name}`));
  if (plan.postBuild) lines.push(`RUN chmod +x ${plan.postBuild} && ./${plan.postBuild}`);
  if (plan.start) lines.push(`RUN chmod +x ${plan.start}`, `ENV R2D_ENTRYPOINT=${REPO_DIR}/${plan.start}`);
  return { dockerfile: lines.join('\n') + '\n', files };
}
