export { HostSampler, type HostStats } from './host.ts';
export { ServerSampler, type Sample, type ServerSeries } from './servers.ts';
