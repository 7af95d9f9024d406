/**
 * The life of user servers (JupyterHub's User.spawn and stop, the poller, the start-up reconciliation): the API,
 * the pages and the hub's wiring all reach it through this module.
 */
export { ServerManager } from './manager.ts';
export { ServerError, type EnvironmentResolver, type HubUrls, type ServerEvent, type ServerObserver } from './types.ts';
