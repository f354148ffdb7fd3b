# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the real-kernel tests: skip unless the kernel audit subsystem is usable, run
auditctl, and save then restore the kernel's rules and settings around a test."""
import fcntl
import os
import shutil
import subprocess
import tempfile

import pytest

# auditctl -s names -> the option that sets them back. Never -e 2: it locks the rules until reboot.
RESTORABLE = (("backlog_limit", "-b"), ("failure", "-f"), ("rate_limit", "-r"),
              ("backlog_wait_time", "--backlog_wait_time"), ("enabled", "-e"))


def need_kernel_audit():
    if os.geteuid() != 0:
        pytest.skip("not root: the kernel audit test needs root to run auditctl")
    if not shutil.which("auditctl"):
        pytest.skip("auditctl is not installed (Debian package auditd)")
    status = subprocess.run(["auditctl", "-s"], capture_output=True, text=True, check=False)
    if status.returncode != 0:
        pytest.skip("the kernel audit subsystem is unavailable: %s" % status.stderr.strip())
    if "enabled 2" in status.stdout:
        pytest.skip("audit rules are immutable (enabled 2) until reboot")


def auditctl(*args):
    return subprocess.run(["auditctl"] + list(args), capture_output=True, text=True, check=False)


def loaded_lines():
    out = auditctl("-l").stdout
    return [line for line in out.splitlines() if line and line != "No rules"]


def status():
    values = {}
    for line in auditctl("-s").stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            values[parts[0]] = parts[1]
    return values


# The kernel's audit state is one per machine: tests that change it take this lock, so
# that two test runs (two developers, or a test and a Molecule scenario) never interleave.
KERNEL_LOCK = "/run/lock/auditkit-kernel.lock"


class KernelGuard(object):
    """Take the kernel lock, save the kernel's rules and settings; restore() puts them back,
    checks it did, and releases the lock."""

    def __init__(self):
        need_kernel_audit()
        self._lock = open(KERNEL_LOCK, "a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.rules = loaded_lines()
        self.status = status()

    def restore(self):
        try:
            self._restore()
        finally:
            self._lock.close()

    def _restore(self):
        auditctl("-D")
        if self.rules:
            with tempfile.NamedTemporaryFile("w", suffix=".rules") as saved:
                saved.write("\n".join(self.rules) + "\n")
                saved.flush()
                restored = auditctl("-R", saved.name)
            assert restored.returncode == 0, restored.stderr
        for name, option in RESTORABLE:
            if name in self.status and self.status[name] != "2":
                auditctl(option, self.status[name])
        assert loaded_lines() == self.rules
        assert dict((k, status().get(k)) for k, _o in RESTORABLE) == dict((k, self.status.get(k)) for k, _o in RESTORABLE)
