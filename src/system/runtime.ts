/**
 * Node flags for the hub's process, wherever it is started (systemd unit, `plasma start`, tests and benches, and a
 * successor, which inherits them). A young generation of 1 MB per semi-space instead of 16: a busy hub makes much
 * short-lived garbage, and with the default the heap (and so the RSS) grew by a hundred MB under load and stayed
 * there; scavenges become more frequent but each is smaller, and the API's rates did not drop (bench/hub).
 */
export const HUB_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];
