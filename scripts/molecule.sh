#!/usr/bin/env bash
# Run the Molecule scenarios that can run here: default and drift on the local Debian image
# (built first if needed), kernel when root; al2023, rhel9 and rhel8 only when their images
# are already present locally (no registry is reachable from CI: nothing is pulled).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
bash scripts/ensure_docker.sh
bash scripts/build_image.sh

molecule test -s default
molecule test -s drift
if [[ "$(id -u)" -eq 0 ]]; then
    # the same lock as tests/kernel/kernel_helpers.py: one user of the kernel audit state at a time
    flock /run/lock/auditkit-kernel.lock molecule test -s kernel
else
    echo "molecule kernel: skipped: not root (the scenario loads rules into the kernel)"
fi

declare -A IMAGES=(
    [al2023]=amazonlinux:2023
    [rhel9]=registry.access.redhat.com/ubi9/ubi-init
    [rhel8]=registry.access.redhat.com/ubi8/ubi-init
)
for scenario in al2023 rhel9 rhel8; do
    image="${IMAGES[${scenario}]}"
    if docker image inspect "${image}" >/dev/null 2>&1; then
        molecule test -s "${scenario}"
    else
        echo "molecule ${scenario}: skipped: image ${image} is not present locally and no registry is reachable here (docker pull it, then make molecule)"
    fi
done
