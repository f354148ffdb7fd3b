#!/usr/bin/env bash
# Start dockerd when it is not running (nothing else starts it on the CI machine), and wait
# until it answers.
set -euo pipefail

if docker info >/dev/null 2>&1; then
    exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
    echo "ensure_docker: dockerd is not installed (Debian package docker.io)" >&2
    exit 1
fi
echo "ensure_docker: starting dockerd (log: /var/log/auditkit-dockerd.log)"
nohup dockerd >/var/log/auditkit-dockerd.log 2>&1 &
for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
        exit 0
    fi
    sleep 1
done
echo "ensure_docker: dockerd did not start; see /var/log/auditkit-dockerd.log" >&2
exit 1
