#!/usr/bin/env bash
# Stand-in images for the al2023, rhel9 and rhel8 Molecule scenarios, built locally (no container
# registry is reachable from CI). A STAND-IN IS NOT THE PLATFORM: it is Debian 12 (bookworm: the
# glibc the upstream builds link against) with systemd as init and Debian's auditd, carrying the
# target's auditctl and augenrules built from upstream sources (no distribution patches) by
# scripts/build_audit_userspace.sh. Every stand-in holds /etc/auditkit-standin, one line that says
# what it is; the scenarios print it.
#
#   scripts/build_standin_image.sh              base image + one image per platform
#   scripts/build_standin_image.sh al2023 ...   only these platforms
#
# Images: auditkit/standin-base:test (mmdebstrap + docker import, rebuilt only when this recipe
# changes), auditkit/standin-<platform>:test (docker create + cp + commit: seconds, rebuilt when the
# base or the auditctl/augenrules files change). Without the upstream tarballs (no ../shared) a
# platform image keeps Debian's own auditctl 3.0.9 and its marker says so.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "${HERE}/.." && pwd)"
# shellcheck source=scripts/debian_image.sh
source "${HERE}/debian_image.sh"
BASE=auditkit/standin-base:test
SUITE=bookworm
# systemd-sysv: systemd as PID 1; python3-apt: the role's package task stays a local no-op;
# kmod: the path the STIG rules name; procps: ps for testinfra and debugging
PACKAGES=(systemd-sysv auditd python3 python3-apt kmod procps)
RECIPE="$(recipe_hash "${HERE}/build_standin_image.sh")"

# platform -> "audit version|what the stand-in stands in for"
declare -A PLATFORMS=(
    [al2023]="3.0.6|Amazon Linux 2023"
    [rhel9]="3.1.5|RHEL 9"
    [rhel8]="3.1.2|RHEL 8"
    [rhel10]="4.0.3|RHEL 10"
)

# The base image: mmdebstrap + docker import (scripts/debian_image.sh), rebuilt when the recipe changes.
build_base() {
    # --customize-hook: no getty or logind in a container ($1 is the hook's rootfs, not ours)
    # shellcheck disable=SC2016
    build_debian_image build_standin_image "${BASE}" "${RECIPE}" "${SUITE}" "$(IFS=,; echo "${PACKAGES[*]}")" \
        --customize-hook='chroot "$1" systemctl mask getty@tty1.service console-getty.service systemd-logind.service' -- \
        --change 'CMD ["/lib/systemd/systemd"]' \
        --change 'ENV container=docker'
}

# The systemd units of audit 4.0 and later (audit-rules.service loads the rules, auditd.service no longer
# does), rendered from the version's tarball (@sbindir@ /sbin, @sysconfdir@ /etc as the platforms
# install them) into $2, with audit-rules.service enabled; nothing for older versions, whose
# auditd.service (Debian's, ExecStartPost=augenrules --load) the base image already has.
audit4_units() {
    local version="$1" work="$2" tarball unit
    [[ "${version%%.*}" -ge 4 ]] || return 0
    tarball="${AUDIT_USERSPACE_SRC:-${ROOT}/../shared/vendor/audit-userspace}/audit-userspace-${version}.tar.gz"
    [[ -f "${tarball}" ]] || return 0
    mkdir -p "${work}/units/multi-user.target.wants"
    for unit in auditd.service audit-rules.service; do
        tar -xzOf "${tarball}" "audit-userspace-${version}/init.d/${unit}.in" \
            | sed -e 's|@sbindir@|/sbin|g' -e 's|@sysconfdir@|/etc|g' > "${work}/units/${unit}"
    done
    ln -s /lib/systemd/system/audit-rules.service "${work}/units/multi-user.target.wants/audit-rules.service"
    echo "${work}/units"
}

# The auditctl/augenrules of one audit version: built (cached) by scripts/build_audit_userspace.sh
# from ../shared's tarballs; empty output when they cannot be had here.
userspace_dir() {
    local version="$1" dir="${ROOT}/.build/audit-userspace/$1"
    if [[ ! -x "${dir}/auditctl" && -f "${HERE}/build_audit_userspace.sh" ]]; then
        nice -n 10 bash "${HERE}/build_audit_userspace.sh" "${version}" >&2 || true
    fi
    if [[ -x "${dir}/auditctl" && -f "${dir}/augenrules" ]]; then
        echo "${dir}"
    fi
}

why_not_built() {
    if [[ -f "${AUDIT_USERSPACE_SRC:-${ROOT}/../shared/vendor/audit-userspace}/audit-userspace-$1.tar.gz" ]]; then
        echo "scripts/build_audit_userspace.sh $1 did not produce .build/audit-userspace/$1: see its output above"
    else
        echo "no upstream tarball audit-userspace-$1.tar.gz: ../shared/vendor/audit-userspace is absent in this clone"
    fi
}

build_platform() {
    local platform="$1" version target image dir marker content_hash container units=""
    IFS='|' read -r version target <<< "${PLATFORMS[${platform}]}"
    image="auditkit/standin-${platform}:test"
    dir="$(userspace_dir "${version}")"
    if [[ -n "${dir}" ]]; then
        marker="STAND-IN for ${target}, not ${target}: Debian ${SUITE} with systemd and auditd, auditctl and augenrules of upstream audit ${version} (the version ${target} ships) built from source without distribution patches"
        units="$(audit4_units "${version}" "${WORK}/${platform}")"
        if [[ -n "${units}" ]]; then
            marker="${marker}; its systemd units (audit-rules.service loads the rules: ExecStart=/sbin/augenrules --load)"
        fi
        content_hash="$(cat "${dir}/auditctl" "${dir}/augenrules" ${units:+"${units}"/*.service} | sha256sum | cut -c1-16)"
    else
        marker="STAND-IN for ${target}, not ${target}: Debian ${SUITE} with systemd and Debian's own auditd and auditctl 3.0.9, not ${target}'s audit ${version} ($(why_not_built "${version}"))"
        content_hash=debian
    fi
    local want
    want="$(docker image inspect --format '{{ .Id }}' "${BASE}")/${content_hash}/${RECIPE}"
    if [[ "$(image_label "${image}" auditkit.standin)" == "${want}" ]]; then
        echo "build_standin_image: ${image} is up to date"
        return
    fi
    container="$(docker create --label auditkit.standin.build=1 "${BASE}")"
    CONTAINERS+=("${container}")
    local work="${WORK}/${platform}"
    mkdir -p "${work}"
    printf '%s\n' "${marker}" > "${work}/auditkit-standin"
    docker cp "${work}/auditkit-standin" "${container}:/etc/auditkit-standin"
    if [[ -n "${dir}" ]]; then
        # the platforms' path (/usr/sbin; /sbin is the same directory, merged /usr)
        local tool
        for tool in auditctl augenrules; do
            install -m 0755 "${dir}/${tool}" "${work}/${tool}"
            docker cp "${work}/${tool}" "${container}:/usr/sbin/${tool}"
        done
    fi
    if [[ -n "${units}" ]]; then
        docker cp "${units}/auditd.service" "${container}:/lib/systemd/system/auditd.service"
        docker cp "${units}/audit-rules.service" "${container}:/lib/systemd/system/audit-rules.service"
        docker cp "${units}/multi-user.target.wants/audit-rules.service" \
            "${container}:/etc/systemd/system/multi-user.target.wants/audit-rules.service"
    fi
    docker commit \
        --change "LABEL auditkit.standin=${want}" \
        --change 'CMD ["/lib/systemd/systemd"]' \
        "${container}" "${image}" >/dev/null
    docker rm "${container}" >/dev/null
    echo "build_standin_image: ${image}: ${marker}"
}

WORK="$(mktemp -d)"
CONTAINERS=()
cleanup() {
    rm -rf "${WORK}"
    local container
    for container in "${CONTAINERS[@]}"; do
        docker rm -f "${container}" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

bash "${HERE}/ensure_docker.sh"
build_base
if [[ $# -eq 0 ]]; then
    set -- al2023 rhel9 rhel8 rhel10
fi
for platform in "$@"; do
    if [[ -z "${PLATFORMS[${platform}]:-}" ]]; then
        echo "build_standin_image: unknown platform ${platform} (one of ${!PLATFORMS[*]})" >&2
        exit 2
    fi
    build_platform "${platform}"
done
