# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host's auditctl version through ansible-playbook (the controller path of
test_audit_versions.py): on a host whose auditctl lacks the io_uring list (before 3.1.2; Debian
12 has 3.0.9) audit_rules refuses an io_uring requirement with the reason, in check mode and
not, and writes nothing; audit_rules_info on the same host still judges the other rules."""
import os
import shutil
import subprocess

import pytest

from sandbox import localhost_play

PLAYBOOK = """
- name: An io_uring requirement on this host
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Require an io_uring rule
      auditkit.auditd.audit_rules:
        rules_dir: "{{ rules_dir }}"
        compiled_file: "{{ compiled }}"
        dest: "{{ rules_dir }}/50-uring.rules"
        rules: ["-a always,io_uring -S openat -k uring"]
      register: required
      ignore_errors: true

    - name: Judge the module-loading rule already there
      auditkit.auditd.audit_rules_info:
        rules_dir: "{{ rules_dir }}"
        compiled_file: "{{ compiled }}"
        rules: ["-a always,exit -F arch=b64 -S init_module -k m"]
        loaded: false
      register: judged
"""


def _auditctl_version():
    auditctl = shutil.which("auditctl") or "/sbin/auditctl"
    if not os.path.exists(auditctl):
        pytest.skip("auditctl is not installed (Debian package auditd)")
    out = subprocess.run([auditctl, "-v"], stdout=subprocess.PIPE, check=False).stdout.decode()
    version = tuple(int(part) for part in out.split()[-1].split("."))
    if version >= (3, 1, 2):
        pytest.skip("auditctl %s knows the io_uring list" % out.strip())
    return out.split()[-1]


@pytest.mark.parametrize("check", [True, False], ids=["check", "run"])
def test_io_uring_refused_with_the_hosts_version(tmp_path, check):
    version = _auditctl_version()
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "10-base.rules").write_text("-a always,exit -F arch=b64 -S init_module -k m\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    returncode, tasks, stderr = localhost_play(playbook, {"rules_dir": str(rules_dir), "compiled": str(tmp_path / "audit.rules")},
                                               *(["--check"] if check else []))
    assert returncode == 0, stderr[-2000:]
    required = tasks[0]["hosts"]["localhost"]
    judged = tasks[1]["hosts"]["localhost"]
    assert required["failed"] and not required.get("changed"), required
    assert "auditctl %s does not know the io_uring list" % version in required["msg"], required["msg"]
    assert sorted(os.listdir(str(rules_dir))) == ["10-base.rules"]
    assert not judged.get("failed"), judged
