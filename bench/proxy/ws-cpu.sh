#!/usr/bin/env bash
# Where a websocket echo's CPU goes: client, backend and relay, user and kernel time from /proc/<pid>/stat over 4 s
# of an echo run. Relays: a Node byte pipe, plasma proxy, and (when a C compiler is there) bench/proxy/c-relay.c, once
# as is and once sleeping 800 µs before each wake-up so messages move in batches. Shows what any relay costs on this
# machine, next to what client and backend cost by themselves.   bash bench/proxy/ws-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONFIGPROXY_AUTH_TOKEN=bench-ws-cpu
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
# Free loopback ports, the way the tests pick them (below the kernel's ephemeral range).
read -r be_port pipe_port plasma_port api_port crelay_port batch_port < <(node --import tsx -e "
  import('./src/spawner/local.ts').then(async ({ freeLoopbackPort }) => {
    const ports = []; for (let i = 0; i < 6; i++) ports.push(await freeLoopbackPort()); console.log(ports.join(' '));
  });")
node bench/proxy/backend.mjs "$be_port" >/dev/null & be=$!; pids+=($be)
node bench/proxy/pipe.mjs "$pipe_port" "$be_port" >/dev/null & pipe=$!; pids+=($pipe)
node bin/plasma.mjs proxy --ip 127.0.0.1 --port "$plasma_port" --api-ip 127.0.0.1 --api-port "$api_port" \
  --default-target "http://127.0.0.1:$be_port" --log-level warn --routes-file "$tmp/routes.json" >/dev/null 2>&1 & plasma=$!
pids+=($plasma)
contenders="direct pipe plasma"
if command -v cc >/dev/null; then
  cc -O2 -o "$tmp/c-relay" bench/proxy/c-relay.c
  "$tmp/c-relay" "$crelay_port" "$be_port" >/dev/null & crelay=$!; pids+=($crelay)
  "$tmp/c-relay" "$batch_port" "$be_port" 800 >/dev/null & batch=$!; pids+=($batch)
  contenders="$contenders c-relay c-batch"
fi
sleep 3
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # user, system (clock ticks: 100 a second)
for name in $contenders; do
  case $name in
    direct) port=$be_port relay=;; pipe) port=$pipe_port relay=$pipe;; plasma) port=$plasma_port relay=$plasma;;
    c-relay) port=$crelay_port relay=$crelay;; c-batch) port=$batch_port relay=$batch;;
  esac
  node bench/proxy/ws-echo-client.mjs "ws://127.0.0.1:$port/" 6 > "$tmp/rate" & client=$!
  sleep 1.5
  c0=($(ticks $client)); b0=($(ticks $be)); r0=(0 0); [ -n "$relay" ] && r0=($(ticks $relay))
  sleep 4
  c1=($(ticks $client)); b1=($(ticks $be)); r1=(0 0); [ -n "$relay" ] && r1=($(ticks $relay))
  wait $client
  awk -v name=$name -v rate="$(cat "$tmp/rate")" -v cu=$((c1[0]-c0[0])) -v cs=$((c1[1]-c0[1])) -v bu=$((b1[0]-b0[0])) \
      -v bs=$((b1[1]-b0[1])) -v ru=$((r1[0]-r0[0])) -v rs=$((r1[1]-r0[1])) 'BEGIN {
    el = 4; printf "%-7s %6d msg/s | client %3.0f%% (user %2.0f, kernel %2.0f) | backend %3.0f%% (user %2.0f, kernel %2.0f)",
      name, rate, (cu+cs)/el, cu/el, cs/el, (bu+bs)/el, bu/el, bs/el
    if (ru + rs > 0) printf " | relay %3.0f%% (user %2.0f, kernel %2.0f): %.1f µs a message, %.1f of it in the kernel",
      (ru+rs)/el, ru/el, rs/el, (ru+rs)*1e4/(rate*el), rs*1e4/(rate*el)
    printf "\n" }'
done
