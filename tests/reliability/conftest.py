# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the fault tests: run the real module as its own process, mount small filesystems."""
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NAMESPACE = os.path.join(ROOT, ".build", "pytest")
MODULE = os.path.join(ROOT, "plugins", "modules", "audit_rules.py")


def module_process(tmp_path, name, **args):
    """Start plugins/modules/audit_rules.py as a process, the way AnsiballZ runs it."""
    path = tmp_path / ("%s.json" % name)
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=NAMESPACE)
    return subprocess.Popen([sys.executable, MODULE, str(path)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def need_root():
    if os.geteuid() != 0:
        pytest.skip("not root: mounting filesystems and chattr need root")


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 64 KiB tmpfs, unmounted afterwards."""
    need_root()
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)
