"""Write ansible-test's pip bootstrap cache for the ansible-test of the running interpreter.

Run with the python of a virtualenv that holds ansible-core (scripts/setup.sh for .venv,
scripts/core_matrix.sh for each .build/core-2.X). ansible-test creates a virtualenv per
sanity test with `python -m venv --without-pip` and bootstraps pip in it by running
  ~/.ansible/test/cache/get_pip_<pip version with . replaced by _>.py
(ansible_test/_util/target/setup/requirements.py, bootstrap()), which it otherwise
downloads from ci-files.testing.ansible.com. It runs that file as get-pip.py with
arguments like
  --disable-pip-version-check pip==24.2 --no-setuptools --no-wheel
The stand-in written here uses ensurepip (bundled with python3-venv) and then
pip-installs the exact requested pip version from the package index. Each ansible-core
release pins its own pip (2.15: 21.3.1, 2.16/2.17: 23.1.2, 2.18/2.19: 24.2), so every
version's ansible-test gets its file.
"""
import os
import re

from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS, REMOTE_ONLY_PYTHON_VERSIONS
from ansible_test._internal import python_requirements


class _Python:
    def __init__(self, version):
        self.version = version


TEMPLATE = '''\
"""Offline stand-in for get-pip.py, written by auditkit.auditd scripts/ansible_test_pip_bootstrap.py.

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


def pip_versions():
    versions = set()
    for py in REMOTE_ONLY_PYTHON_VERSIONS + CONTROLLER_PYTHON_VERSIONS:
        versions.add(python_requirements.get_venv_packages(_Python(py))["pip"])
    return sorted(versions)


def write(version, cache):
    if not re.match(r"^[0-9][0-9.]*$", version):
        raise SystemExit("unexpected pip version %r in ansible-test" % version)
    path = os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_"))
    content = TEMPLATE.replace("@PIP_VERSION@", version)
    try:
        with open(path) as handle:
            current = handle.read()
    except OSError:
        current = None
    if current == content:
        print("[setup] ansible-test pip bootstrap present: %s" % path)
        return
    with open(path, "w") as handle:
        handle.write(content)
    print("[setup] wrote ansible-test pip bootstrap %s" % path)


def main():
    cache = os.path.expanduser("~/.ansible/test/cache")
    os.makedirs(cache, exist_ok=True)
    for version in pip_versions():
        write(version, cache)


if __name__ == "__main__":
    main()
