# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merged /usr judged by the kernel (issue 12): on a host where /bin is a symlink to usr/bin, a
watch written as /bin/kmod records the runs of /usr/bin/kmod (the kernel watches the parent
directory's inode plus the name), and audit_rules_info, reading that kernel, says the
requirement ``-w /usr/bin/kmod -p x`` passes, with a note naming the other spelling."""
import os
import subprocess

import pytest
from kernel_helpers import KernelGuard, auditctl

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_probe as PR
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info

KMOD = "/usr/bin/kmod"
ALIAS = "/bin/kmod"


def _run(argv):
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return done.returncode, "", ""


@pytest.fixture
def audit_on():
    if not os.path.exists(KMOD) or not os.path.samefile("/bin", "/usr/bin"):
        pytest.skip("needs a merged-/usr host with kmod installed (Debian 12: scripts/setup.sh)")
    guard = KernelGuard()
    try:
        assert auditctl("-e", "1").returncode == 0
        listener = PR.Listener()
        yield listener
        listener.close()
    finally:
        guard.restore()


def test_a_watch_through_bin_records_usr_bin_kmod_and_the_verdict_agrees(audit_on, run_module, tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "50-kmod.rules").write_text("-D\n-w %s -p x -k via_bin\n" % ALIAS)
    assert auditctl("-R", str(rules_dir / "50-kmod.rules")).returncode == 0

    del audit_on.records[:]
    action = PR.Action.program(KMOD)
    outcome = PR.fire([action], os.uname()[4], None, _run)
    assert audit_on.wait_for_marker(30) and not audit_on.overflow
    record = PR.find_record(audit_on.records, action, outcome["pid"], os.uname()[4])
    assert record is not None and record.keys == ["via_bin"]

    result = run_module(audit_rules_info, rules_dir=str(rules_dir), compiled_file=str(tmp_path / "audit.rules"),
                        loader="augenrules", rules=["-w %s -p x -k modules" % KMOD])
    requirement = result["requirements"][0]
    assert result["kernel"]["read"] and requirement["status"] == "pass", requirement
    assert any(ALIAS in note and "same directory entry" in note for note in requirement["notes"])
