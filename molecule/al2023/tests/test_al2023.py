# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Amazon Linux 2023 after converge: the audit package, the rules file, and every control of the
profile that auto picks (stig_al2023) passes on disk."""


def test_audit_package_and_rules_file(host):
    assert host.package("audit").is_installed
    rules = host.file("/etc/audit/rules.d/audit.rules")
    assert rules.user == "root" and rules.mode == 0o600
    assert rules.contains("auditkit.auditd: V-274091")


def test_auto_profile_and_verdicts(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=auto loaded=false", check=False)
    assert result["profile"]["name"] == "stig_al2023"
    assert [(c["id"], c["status"]) for c in result["controls"]] == [('V-274091', 'pass'), ('V-274092', 'pass'), ('V-274093', 'pass')]
