# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After converge on the Debian 12 image: the rules file, no duplicates, every control passes
the drift check, and OpenSCAP's OVAL definitions agree."""
import pytest

RULES = [
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
    "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
]
OVAL = ["kernel_module_loading_init", "kernel_module_loading_finit", "kernel_module_loading_delete",
        "privileged_commands_kmod"]


def test_rules_file(host):
    rules = host.file("/etc/audit/rules.d/audit.rules")
    assert rules.user == "root" and rules.group == "root" and rules.mode == 0o600
    lines = rules.content_string.splitlines()
    for rule in RULES:
        assert lines.count(rule) == 1, rule
    assert "# auditkit.auditd: V-258190, RHEL-09-654080" in lines


def test_drift_check_passes_every_control(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=stig_rhel9 loaded=false", check=False)
    assert [(c["id"], c["status"]) for c in result["controls"]] == [
        ("V-258189", "pass"), ("V-258190", "pass"), ("V-258195", "pass")]
    assert not [f for f in result["findings"] if f["kind"] in ("duplicate", "rejected_line", "load_stops")]


@pytest.mark.parametrize("product", ["rhel7", "rhel8", "rhel9"])
@pytest.mark.parametrize("definition", OVAL)
def test_openscap_agrees(host, product, definition):
    out = host.check_output("oscap oval eval --id oval:ssg-audit_rules_%s:def:1 "
                            "/usr/share/xml/scap/ssg/content/ssg-%s-oval.xml", definition, product)
    assert "oval:ssg-audit_rules_%s:def:1: true" % definition in out
