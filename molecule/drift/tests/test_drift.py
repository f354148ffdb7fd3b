# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After converge on the pre-seeded image: only what was missing was added, the suppressing
-a task,never is gone, nothing seeded was duplicated, and every control passes."""

ADDED = [
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
]


def _rule_lines(host, path):
    return [line for line in host.file(path).content_string.splitlines() if line.strip() and not line.startswith("#")]


def test_only_missing_rules_were_added(host):
    lines = _rule_lines(host, "/etc/audit/rules.d/audit.rules")
    assert [line for line in lines if line in ADDED] == ADDED
    shipped = [line for line in lines if line not in ADDED]
    assert not [line for line in shipped if "module" in line or "kmod" in line]  # nothing else of ours


def test_suppression_removed_and_seeded_files_kept(host):
    assert _rule_lines(host, "/etc/audit/rules.d/10-base.rules") == ["-D", "-b 8192"]
    assert host.file("/etc/audit/rules.d/30-equivalent.rules").content_string.count("\n") == 2
    assert host.file("/etc/audit/rules.d/70-narrower.rules").contains("exit=-EPERM")


def test_every_control_passes_and_the_duplicate_is_still_reported(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=stig_rhel9 loaded=false", check=False)
    assert [c["status"] for c in result["controls"]] == ["pass", "pass", "pass"]
    kinds = [f["kind"] for f in result["findings"]]
    assert "duplicate" in kinds and "task_never" not in kinds and "suppressed" not in kinds
