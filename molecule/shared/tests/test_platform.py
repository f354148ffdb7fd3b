# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The al2023, rhel9 and rhel8 scenarios after converge: the audit package, the rules file,
and every control of the profile that auto picks passes on disk."""
import os

# scenario -> (profile auto must pick, its controls in order)
EXPECTED = {
    "al2023": ("stig_al2023", ["V-274091", "V-274092", "V-274093"]),
    "rhel9": ("stig_rhel9", ["V-258189", "V-258190", "V-258195"]),
    "rhel8": ("stig_rhel8", ["V-230438", "V-230446", "V-230465"]),
}
PROFILE, CONTROLS = EXPECTED[os.environ["MOLECULE_SCENARIO_NAME"]]


def test_audit_package_and_rules_file(host):
    assert host.package("audit").is_installed
    rules = host.file("/etc/audit/rules.d/audit.rules")
    assert rules.user == "root" and rules.mode == 0o600
    assert rules.contains("auditkit.auditd: %s" % CONTROLS[0])


def test_auto_profile_and_verdicts(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=auto loaded=false", check=False)
    assert result["profile"]["name"] == PROFILE
    assert [(c["id"], c["status"]) for c in result["controls"]] == [(c, "pass") for c in CONTROLS]
