#!/usr/bin/env bash
# Prepare a Debian 12 machine (as root) for building and testing auditkit.auditd.
#
#  1. Installs the Debian packages the build, tests and demo need, only when
#     some are missing (apt-get update runs only then).
#  2. Creates .venv and installs requirements.txt into it, only when
#     requirements.txt (or the Python version) changed since the last run.
#  3. Writes ansible-test's pip bootstrap cache so that `ansible-test sanity`
#     does not try to download get-pip.py from an unreachable host.
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
    docker.io
    mmdebstrap
    gawk          # augenrules is tested under both gawk (RHEL, AL2023) and mawk (Debian)
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
# 3. ansible-test pip bootstrap cache
# --------------------------------------------------------------------------
# ansible-test creates a virtualenv per sanity test with `python -m venv
# --without-pip` and bootstraps pip in it by running
#   ~/.ansible/test/cache/get_pip_<pip version with . replaced by _>.py
# (see ansible_test/_util/target/setup/requirements.py, bootstrap()), which it
# otherwise downloads from ci-files.testing.ansible.com. It runs that file as
# get-pip.py with arguments like
#   --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
# The stand-in written here uses ensurepip (bundled with python3-venv) and then
# pip-installs the exact requested pip version from the package index.
"${VENV}/bin/python" - <<'PYEOF'
import os
import re

from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS
from ansible_test._internal import python_requirements


class _Python:
    def __init__(self, version):
        self.version = version


versions = set()
for py in REMOTE_ONLY_PYTHON_VERSIONS + CONTROLLER_PYTHON_VERSIONS:
    versions.add(python_requirements.get_venv_packages(_Python(py))["pip"])

TEMPLATE = '''\
"""Offline stand-in for get-pip.py, written by auditkit.auditd scripts/setup.sh.

ansible-test runs this file as its pip bootstrap script (GET_PIP) inside a
virtualenv created with --without-pip, passing get-pip.py style arguments.
It installs pip with ensurepip and then the exact pip release requested.
"""
import subprocess
import sys

PIP_VERSION = "@PIP_VERSION@"
GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main():
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    if not any(arg.split("==")[0].lower() == "pip" for arg in args if not arg.startswith("-")):
        args.append("pip==" + PIP_VERSION)
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"] + args)
    if "--no-setuptools" in sys.argv[1:]:
        # ensurepip of Python <= 3.11 also installs setuptools; get-pip.py would not.
        subprocess.call([sys.executable, "-m", "pip", "uninstall", "-y", "-q", "setuptools"],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
'''

cache = os.path.expanduser("~/.ansible/test/cache")
os.makedirs(cache, exist_ok=True)
for version in sorted(versions):
    if not re.match(r"^[0-9][0-9.]*$", version):
        raise SystemExit("unexpected pip version %r in ansible-test" % version)
    path = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    content = TEMPLATE.replace("@PIP_VERSION@", version)
    try:
        with open(path) as handle:
            current = handle.read()
    except OSError:
        current = None
    if current != content:
        with open(path, "w") as handle:
            handle.write(content)
        print("[setup] wrote ansible-test pip bootstrap %s" % path)
    else:
        print("[setup] ansible-test pip bootstrap present: %s" % path)
PYEOF

log "done"
