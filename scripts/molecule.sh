#!/usr/bin/env bash
# Run the Molecule scenarios that can run here: default and drift on the local Debian image
# (built first if needed), kernel when root, and al2023, rhel9 and rhel8 against local STAND-INS
# (scripts/build_standin_image.sh: Debian 12 with systemd and auditd carrying the platform's
# upstream auditctl/augenrules). A stand-in is not the platform and the output says so. Where the
# real image is present locally (no registry is reachable from CI: nothing is pulled), the same
# scenario also runs on it, unchanged.
#
# Environment: AUDITKIT_STANDIN=0 skips the stand-ins, AUDITKIT_STANDIN=only skips the real images;
# AUDITKIT_SCENARIOS="al2023 rhel8" runs only these scenarios.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
LOCK=/run/lock/auditkit-kernel.lock
STANDIN="${AUDITKIT_STANDIN:-1}"
SCENARIOS="${AUDITKIT_SCENARIOS:-default drift kernel al2023 rhel9 rhel8}"

declare -A IMAGES=(
    [al2023]=amazonlinux:2023
    [rhel9]=registry.access.redhat.com/ubi9/ubi-init
    [rhel8]=registry.access.redhat.com/ubi8/ubi-init
)
SUMMARY=()
FAILED=()

wanted() { [[ " ${SCENARIOS} " == *" $1 "* ]]; }

# timed <label> <command...>: run, remember how long it took and whether it failed (every
# scenario runs; the script fails at the end if one did)
timed() {
    local label="$1" start rc=0
    shift
    start="$(date +%s)"
    "$@" || rc=$?
    SUMMARY+=("molecule ${label}: rc=${rc} in $(( $(date +%s) - start ))s")
    if [[ ${rc} -ne 0 ]]; then
        FAILED+=("${label}")
    fi
}

bash scripts/ensure_docker.sh
if wanted default || wanted drift; then
    bash scripts/build_image.sh
fi
for scenario in default drift; do
    if wanted "${scenario}"; then
        timed "${scenario}" molecule test -s "${scenario}"
    fi
done

root=false
if [[ "$(id -u)" -eq 0 ]]; then
    root=true
fi
if wanted kernel; then
    if ${root}; then
        # the same lock as tests/kernel/kernel_helpers.py: one user of the kernel audit state at a time
        timed kernel flock "${LOCK}" molecule test -s kernel
    else
        echo "molecule kernel: skipped: not root (the scenario loads rules into the kernel)"
    fi
fi

# al2023, rhel9, rhel8: a systemd phase and a kernel phase (--pid=host) that loads rules into this
# machine's kernel, so the whole scenario runs under the kernel lock.
platform_scenario() {
    local scenario="$1" label="$2" image="$3" network="$4"
    if ! ${root}; then
        echo "molecule ${label}: skipped: not root (its kernel phase loads rules into this machine's kernel)"
        return
    fi
    AUDITKIT_PLATFORM_IMAGE="${image}" AUDITKIT_PLATFORM_NETWORK="${network}" \
        timed "${label}" flock "${LOCK}" molecule test -s "${scenario}"
}

platforms=()
for scenario in al2023 rhel9 rhel8; do
    if wanted "${scenario}"; then
        platforms+=("${scenario}")
    fi
done
if [[ ${#platforms[@]} -gt 0 && "${STANDIN}" != 0 ]]; then
    bash scripts/build_standin_image.sh "${platforms[@]}"
fi
for scenario in "${platforms[@]}"; do
    if [[ "${STANDIN}" != 0 ]]; then
        echo "molecule ${scenario}: on the local STAND-IN auditkit/standin-${scenario}:test (not ${IMAGES[${scenario}]}):"
        docker run --rm --network none "auditkit/standin-${scenario}:test" cat /etc/auditkit-standin
        platform_scenario "${scenario}" "${scenario} (stand-in)" "auditkit/standin-${scenario}:test" none
    fi
    image="${IMAGES[${scenario}]}"
    if [[ "${STANDIN}" == only ]]; then
        continue
    elif docker image inspect "${image}" >/dev/null 2>&1; then
        platform_scenario "${scenario}" "${scenario} (${image})" "${image}" bridge
    else
        echo "molecule ${scenario}: real image skipped: ${image} is not present locally and no registry is reachable here (docker pull it, then make molecule)"
    fi
done

printf '%s\n' "${SUMMARY[@]}"
if [[ ${#FAILED[@]} -gt 0 ]]; then
    echo "molecule: failed: ${FAILED[*]}" >&2
    exit 1
fi
