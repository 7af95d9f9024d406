#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs docker.io if missing and starts dockerd when no daemon runs
# (there may be no systemd). Safe to run again.
set -euo pipefail
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if docker info >/dev/null 2>&1; then exit 0; fi
if command -v systemctl >/dev/null 2>&1 && [ "$(ps -p 1 -o comm=)" = systemd ]; then
  systemctl start docker
else
  # A daemon killed without a clean stop leaves its pid file, and a new one then refuses to start.
  if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then rm -f /var/run/docker.pid; fi
  nohup dockerd >/var/log/plasma-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "ensure-docker: dockerd did not come up; see /var/log/plasma-dockerd.log" >&2
exit 1
