import { createRequire } from 'node:module';
import type Docker from 'dockerode';

/**
 * A Docker client whose library is loaded on first use. dockerode brings ssh2, gRPC and protobuf with it: about
 * 25 MB of memory and 110 ms at every start, which a hub on the local spawner, or one that has not touched an
 * environment yet, has no use for. CommonJS, so it can be required synchronously from the first property access.
 */
export function dockerClient(options: Docker.DockerOptions): Docker {
  let real: Docker | null = null;
  const load = (): Docker => {
    if (!real) {
      const Dockerode = createRequire(import.meta.url)('dockerode') as typeof Docker;
      real = new Dockerode(options);
    }
    return real;
  };
  return new Proxy({} as Docker, {
    get(_target, prop) {
      const client = load();
      const value = Reflect.get(client, prop, client);
      return typeof value === 'function' ? value.bind(client) : value;
    },
  });
}
