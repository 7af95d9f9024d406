import type { Command } from 'commander';

/** `plasma image …`: images Plasma makes itself. */
export function registerImageCommands(program: Command): void {
  const image = program.command('image').description('manage the images Plasma builds itself');
  image.command('bootstrap')
    .description('build the base images offline from Debian packages (debootstrap → docker import → Jupyter layer)')
    .option('--force', 'rebuild even if the images exist')
    .option('--mirror <url>', 'Debian mirror', 'http://deb.debian.org/debian')
    .option('--suite <name>', 'Debian suite', 'bookworm')
    .option('--root-image <name>', 'name of the minimal Debian image', 'plasma/debian:bookworm')
    .option('--base-image <name>', 'name of the Jupyter base image', 'plasma/base:latest')
    .action(async (opts: { force?: boolean; mirror: string; suite: string; rootImage: string; baseImage: string }) => {
      const started = Date.now();
      const { bootstrapImages } = await import('../ops/base-image.ts');
      await bootstrapImages({
        force: opts.force, mirror: opts.mirror, suite: opts.suite, rootImage: opts.rootImage, baseImage: opts.baseImage,
        progress: (line) => console.log(line),
      });
      console.log(`image bootstrap finished in ${Math.round((Date.now() - started) / 1000)} s`);
    });
}
