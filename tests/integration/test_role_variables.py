# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role variables a user sets alone must work alone: the ones that depend on another
(auditkit_rules_file and auditkit_compiled_file on auditkit_rules_dir, the dest of the
auditctl loader) follow it unless set, through ansible-playbook. And tags reach the tasks
they name (--tags auditkit_install)."""
import os
import subprocess

from sandbox import BIN, env, make_fleet, playbook, report_statuses

DISA_AL2023 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
ROLE_CHECK = """---
- name: Judge with the role's check entry point, then show what was read
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Check
      ansible.builtin.import_role:
        name: auditkit.auditd.module_loading
        tasks_from: check
    - name: Show the files judged
      ansible.builtin.debug:
        msg: "READ {{ auditkit_info.rules_dir }} {{ auditkit_info.compiled_file }}"
"""


def _etc_audit_state():
    state = {}
    for root, _dirs, files in os.walk("/etc/audit"):
        for name in files:
            path = os.path.join(root, name)
            state[path] = os.stat(path).st_mtime_ns
    return state


def test_rules_dir_alone_remediates_into_it(tmp_path):
    fleet = make_fleet(tmp_path, {"solo": {}}, {"auditkit_profile": "stig_al2023"})
    before = _etc_audit_state()
    fixed = playbook(fleet, "remediate", auditkit_report_dir=str(tmp_path / "reports"))
    assert fixed.returncode == 0, fixed.stdout
    written = (tmp_path / "solo" / "rules.d" / "audit.rules").read_text()
    assert DISA_AL2023 in written
    assert _etc_audit_state() == before  # the host's own rules were not touched

    after = playbook(fleet, "drift_report", auditkit_report_dir=str(tmp_path / "after"))
    assert after.returncode == 0, after.stdout
    statuses = report_statuses(tmp_path / "after")["solo"]
    assert [s for s, _reason in statuses.values()] == ["pass", "pass", "pass"]


def test_rules_dir_alone_compiled_file_follows(tmp_path):
    """The compiled file is the rules directory's sibling audit.rules (/etc/audit/rules.d ->
    /etc/audit/audit.rules), so a sandbox or image root is judged as a whole."""
    fleet = make_fleet(tmp_path, {"solo": {}, "slash": {}}, {"auditkit_profile": "stig_al2023"})
    (tmp_path / "check.yml").write_text(ROLE_CHECK)
    slash_dir = str(tmp_path / "slash" / "rules.d")
    hosts = (tmp_path / "hosts.yml").read_text().replace(slash_dir, slash_dir + "/")
    (tmp_path / "hosts.yml").write_text(hosts)
    run = playbook(fleet, str(tmp_path / "check.yml"))
    assert run.returncode == 0, run.stdout
    for host in ("solo", "slash"):
        slash = "/" if host == "slash" else ""
        read = "READ %s%s %s" % (tmp_path / host / "rules.d", slash, tmp_path / host / "audit.rules")
        assert read in run.stdout, run.stdout


def test_rules_dir_alone_with_the_auditctl_loader_edits_the_compiled_file(tmp_path):
    fleet = make_fleet(tmp_path, {"solo": {}}, {"auditkit_profile": "stig_al2023", "auditkit_loader": "auditctl"})
    fixed = playbook(fleet, "remediate")
    assert fixed.returncode == 0, fixed.stdout
    assert DISA_AL2023 in (tmp_path / "solo" / "audit.rules").read_text()
    assert os.listdir(str(tmp_path / "solo" / "rules.d")) == []


def test_rules_file_set_explicitly_still_wins(tmp_path):
    fleet = make_fleet(tmp_path, {"solo": {"vars": {"auditkit_rules_file": "/placeholder"}}},
                       {"auditkit_profile": "stig_al2023"})
    dest = tmp_path / "solo" / "rules.d" / "50-modules.rules"
    (tmp_path / "hosts.yml").write_text((tmp_path / "hosts.yml").read_text().replace("/placeholder", str(dest)))
    fixed = playbook(fleet, "remediate")
    assert fixed.returncode == 0, fixed.stdout
    assert DISA_AL2023 in dest.read_text()
    assert not (tmp_path / "solo" / "rules.d" / "audit.rules").exists()


def test_install_tag_reaches_the_install_tasks(tmp_path):
    """--tags auditkit_install runs the install tasks (included with their tags applied) and
    nothing else of the role; a dry run, so the machine's packages are not touched."""
    fleet = make_fleet(tmp_path, {"solo": {}}, {"auditkit_profile": "stig_al2023", "auditkit_install": True})
    ran = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", str(fleet / "hosts.yml"),
                          "auditkit.auditd.remediate", "--tags", "auditkit_install", "--check"],
                         env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, check=False)
    assert "TASK [auditkit.auditd.module_loading : Install the audit userspace tools]" in ran.stdout, ran.stdout
    assert "Enable and start auditd" in ran.stdout
    assert "Write the audit rules" not in ran.stdout
