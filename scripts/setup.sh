#!/usr/bin/env bash
# Prepare a Debian 12 machine (as root) for building and testing auditkit.auditd.
#
#  1. Installs the Debian packages the build, tests and demo need, only when
#     some are missing (apt-get update runs only then).
#  2. Creates .venv and installs requirements.txt into it, only when
#     requirements.txt (or the Python version) changed since the last run.
#  3. Installs the npm clients of tests/clients (npm ci) into .build/clients,
#     only when the lock file changed.
#  4. Writes ansible-test's pip bootstrap cache so that `ansible-test sanity`
#     does not try to download get-pip.py from an unreachable host.
#  5. Unpacks Debian 11's coreutils 8.32 (pinned checksum) into .build/coreutils-8.32:
#     the second real ls -v the augenrules order tests judge by.
#
# Idempotent: a second run does nothing but a few checks.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-${ROOT}/.venv}"
PYTHON="${PYTHON:-python3}"
STAMP="${VENV}/.requirements.sha256"

log() { printf '[setup] %s\n' "$*"; }

# --------------------------------------------------------------------------
# 1. Debian packages
# --------------------------------------------------------------------------
APT_PACKAGES=(
    ca-certificates
    make
    git
    rsync
    shellcheck
    python3
    python3-venv
    auditd
    openscap-scanner
    ssg-nondebian
    ssg-debderived  # SSG 0.1.65 for Ubuntu 20.04/22.04: the catalog cross-check (tests/openscap)
    docker.io
    mmdebstrap
    gawk          # augenrules is tested under both gawk (RHEL, AL2023) and mawk (Debian)
    curl          # fetches Debian 11's coreutils 8.32 package (section 5)
    kmod          # kmod/insmod/rmmod/modprobe: the probe's kernel tests fire them with --version
    chromium      # the HTML report is opened headless in a test
    autoconf      # autoconf .. gcc: scripts/build_audit_userspace.sh builds each platform's auditctl
    automake
    libtool
    pkg-config
    gcc
    libc6-dev
)

SUDO=()
if [[ "${EUID}" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    fi
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null || true)"
    if [[ "${status}" != "install ok installed" ]]; then
        missing+=("${pkg}")
    fi
done

if ((${#missing[@]})); then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
else
    log "Debian packages present"
fi

# --------------------------------------------------------------------------
# 2. Python virtualenv from the pinned requirements.txt
# --------------------------------------------------------------------------
want="$(
    {
        sha256sum "${ROOT}/requirements.txt" | cut -d' ' -f1
        "${PYTHON}" -c 'import sys; print(sys.version)'
    } | sha256sum | cut -d' ' -f1
)"
have="$(cat "${STAMP}" 2>/dev/null || true)"

if [[ ! -x "${VENV}/bin/python" ]]; then
    log "creating virtualenv ${VENV}"
    "${PYTHON}" -m venv "${VENV}"
    have=""
fi

if [[ "${want}" != "${have}" ]]; then
    log "installing requirements.txt into ${VENV}"
    "${VENV}/bin/python" -m pip install --disable-pip-version-check -q -r "${ROOT}/requirements.txt"
    printf '%s\n' "${want}" >"${STAMP}"
else
    log "virtualenv up to date"
fi

# --------------------------------------------------------------------------
# 3. The auditors' clients the tests run (npm, pinned by tests/clients/package-lock.json)
# --------------------------------------------------------------------------
# Installed into .build/clients (not the source tree, which yamllint, sanity and the
# collection build read), again only when the lock file changed. Debian's nodejs and npm
# when the machine has no npm (an image may bring its own Node.js).
CLIENTS="${ROOT}/.build/clients"
if ! command -v npm >/dev/null 2>&1; then
    log "installing Debian packages: nodejs npm"
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
    "${SUDO[@]}" apt-get update -q
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends nodejs npm </dev/null
fi
want_clients="$(sha256sum "${ROOT}/tests/clients/package-lock.json" | cut -d' ' -f1)"
if [[ "${want_clients}" != "$(cat "${CLIENTS}/.lock.sha256" 2>/dev/null || true)" ]]; then
    log "installing the npm clients (tests/clients/package-lock.json) into ${CLIENTS}"
    rm -rf "${CLIENTS}"
    mkdir -p "${CLIENTS}"
    cp "${ROOT}/tests/clients/package.json" "${ROOT}/tests/clients/package-lock.json" "${CLIENTS}/"
    (cd "${CLIENTS}" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
    printf '%s\n' "${want_clients}" >"${CLIENTS}/.lock.sha256"
else
    log "npm clients up to date"
fi

# --------------------------------------------------------------------------
# 4. ansible-test pip bootstrap cache
# --------------------------------------------------------------------------
# ansible-test would download get-pip.py from an unreachable host; the script writes an
# offline stand-in for each pip version this ansible-test pins (see its docstring).
# scripts/core_matrix.sh does the same for each ansible-core version of the matrix.
"${VENV}/bin/python" "${ROOT}/scripts/ansible_test_pip_bootstrap.py"

# --------------------------------------------------------------------------
# 5. ls of coreutils 8.32 (the version RHEL 9, AL2023 and Debian 11 ship)
# --------------------------------------------------------------------------
# Its version sort (ls -v, augenrules' file order) differs from the 9.x of this machine; the
# order tests judge the engine by both real binaries. Debian 11's package, checksum pinned,
# unpacked into .build/coreutils-8.32 (its ls runs with Debian 12's libraries).
COREUTILS_832="${ROOT}/.build/coreutils-8.32"
COREUTILS_DEB="coreutils_8.32-4+b1_amd64.deb"
COREUTILS_SHA256="3558a412ab51eee4b60641327cb145bb91415f127769823b68f9335585b308d4"
if [[ ! -x "${COREUTILS_832}/bin/ls" && "$(dpkg --print-architecture)" == amd64 ]]; then
    log "unpacking Debian 11's ${COREUTILS_DEB} into ${COREUTILS_832}"
    deb="$(mktemp)"
    curl -fsSL -o "${deb}" "http://deb.debian.org/debian/pool/main/c/coreutils/${COREUTILS_DEB}"
    echo "${COREUTILS_SHA256}  ${deb}" | sha256sum -c --quiet -
    rm -rf "${COREUTILS_832}"
    dpkg-deb -x "${deb}" "${COREUTILS_832}"
    rm -f "${deb}"
fi

log "done"
