# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The -F checks auditctl makes, through ansible-playbook (the controller path of
tests/unit/plugins/module_utils/test_audit_fields.py): audit_rules refuses perm!=, inode<, ppid off
the exit list and a numeric filetype with the reason and writes nothing; a number auditctl reads
with strtoul (020, 1_000, 0x10) is written as the value the kernel will hold."""
import os

from sandbox import localhost_play

REFUSED = {
    "-a always,exit -F arch=b64 -S openat -F perm!=r -k t": "operator != is not valid for perm",
    "-a always,exit -F arch=b64 -S openat -F inode<5 -k t": "operator < is not valid for inode",
    "-a always,task -F ppid=1": "ppid cannot be used on the task list",
    "-a always,exit -F arch=b64 -S openat -F filetype=32768 -k t": "filetype '32768' is not a file type",
}
READ_AS_AUDITCTL = ("-a always,exit -F arch=b64 -S openat -F a0=020 -F a1=1_000 -F pid=0x10 -k t",
                    "-a always,exit -F arch=b64 -S openat -F a0=0x10 -F a1=0x1 -F pid=16 -k t")

PLAYBOOK = """
- name: Rules auditctl refuses, and numbers as auditctl reads them
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Require a rule auditctl refuses
      auditkit.auditd.audit_rules:
        rules_dir: "{{ rules_dir }}"
        loader: augenrules
        rules: ["{{ item }}"]
      loop: "{{ refused }}"
      check_mode: "{{ item is search('perm|inode') }}"
      register: required
      ignore_errors: true

    - name: Require a rule with numbers in the bases strtoul reads
      auditkit.auditd.audit_rules:
        rules_dir: "{{ rules_dir }}"
        loader: augenrules
        dest: "{{ rules_dir }}/50-numbers.rules"
        rules: ["{{ numbers }}"]
"""


def test_field_checks_through_the_controller(tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    extra = {"rules_dir": str(rules_dir), "refused": sorted(REFUSED), "numbers": READ_AS_AUDITCTL[0]}
    returncode, tasks, stderr = localhost_play(playbook, extra)
    assert returncode == 0, stderr[-2000:]
    results = tasks[0]["hosts"]["localhost"]["results"]
    assert len(results) == len(REFUSED)
    for result in results:
        assert result["failed"] and not result.get("changed"), result
        assert REFUSED[result["item"]] in result["msg"], result["msg"]
    assert tasks[1]["hosts"]["localhost"]["changed"]
    assert os.listdir(str(rules_dir)) == ["50-numbers.rules"]  # nothing from the refused rules
    assert READ_AS_AUDITCTL[1] in (rules_dir / "50-numbers.rules").read_text().splitlines()
