#!/usr/bin/env bash
# Where a websocket echo's CPU goes: client, backend and relay (byte pipe, plasma proxy), user and kernel time from
# /proc/<pid>/stat over 4 s of an echo run. Shows what any relay costs on this machine, next to what client and
# backend cost by themselves.   bash bench/proxy/ws-cpu.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export CONFIGPROXY_AUTH_TOKEN=bench-ws-cpu
tmp=$(mktemp -d)
node bench/proxy/backend.mjs 18300 >/dev/null & be=$!
node bench/proxy/pipe.mjs 18301 18300 >/dev/null & pipe=$!
node bin/plasma.mjs proxy --ip 127.0.0.1 --port 18302 --api-ip 127.0.0.1 --api-port 18303 --default-target http://127.0.0.1:18300 \
  --log-level warn --routes-file "$tmp/routes.json" >/dev/null 2>&1 & plasma=$!
trap 'kill $be $pipe $plasma 2>/dev/null; rm -rf "$tmp"' EXIT
sleep 3
ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # user, system (clock ticks: 100 a second)
for name in direct pipe plasma; do
  case $name in direct) port=18300 relay=;; pipe) port=18301 relay=$pipe;; plasma) port=18302 relay=$plasma;; esac
  node bench/proxy/ws-echo-client.mjs "ws://127.0.0.1:$port/" 6 > "$tmp/rate" & client=$!
  sleep 1.5
  c0=($(ticks $client)); b0=($(ticks $be)); r0=(0 0); [ -n "$relay" ] && r0=($(ticks $relay))
  sleep 4
  c1=($(ticks $client)); b1=($(ticks $be)); r1=(0 0); [ -n "$relay" ] && r1=($(ticks $relay))
  wait $client
  awk -v name=$name -v rate="$(cat "$tmp/rate")" -v cu=$((c1[0]-c0[0])) -v cs=$((c1[1]-c0[1])) -v bu=$((b1[0]-b0[0])) \
      -v bs=$((b1[1]-b0[1])) -v ru=$((r1[0]-r0[0])) -v rs=$((r1[1]-r0[1])) 'BEGIN {
    el = 4; printf "%-6s %6d msg/s | client %3.0f%% (user %2.0f, kernel %2.0f) | backend %3.0f%% (user %2.0f, kernel %2.0f)",
      name, rate, (cu+cs)/el, cu/el, cs/el, (bu+bs)/el, bu/el, bs/el
    if (ru + rs > 0) printf " | relay %3.0f%% (user %2.0f, kernel %2.0f): %.1f µs a message, %.1f of it in the kernel",
      (ru+rs)/el, ru/el, rs/el, (ru+rs)*1e4/(rate*el), rs*1e4/(rate*el)
    printf "\n" }'
done
