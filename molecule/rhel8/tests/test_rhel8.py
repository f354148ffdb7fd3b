# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RHEL 8 (UBI 8 init) after converge: the audit package, the rules file, and every control of the
profile that auto picks (stig_rhel8) passes on disk."""


def test_audit_package_and_rules_file(host):
    assert host.package("audit").is_installed
    rules = host.file("/etc/audit/rules.d/audit.rules")
    assert rules.user == "root" and rules.mode == 0o600
    assert rules.contains("auditkit.auditd: V-230438")


def test_auto_profile_and_verdicts(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=auto loaded=false", check=False)
    assert result["profile"]["name"] == "stig_rhel8"
    assert [(c["id"], c["status"]) for c in result["controls"]] == [('V-230438', 'pass'), ('V-230446', 'pass'), ('V-230465', 'pass')]
