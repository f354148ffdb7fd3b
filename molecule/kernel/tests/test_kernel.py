# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""After converge with loading on this machine: the kernel shows every required rule,
the drift check passes on disk and in the kernel, and OpenSCAP agrees."""
import pytest

IN_KERNEL = [
    "-a always,exit -F arch=b32 -S delete_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng",
    "-a always,exit -S all -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=-1 -F key=modules",
]


def test_kernel_shows_every_required_rule(host):
    listing = host.check_output("auditctl -l").splitlines()
    for rule in IN_KERNEL:
        assert rule in listing, rule


def test_drift_check_passes_on_disk_and_in_the_kernel(host):
    result = host.ansible("auditkit.auditd.audit_rules_info", "profile=stig_rhel9", check=False)
    assert result["kernel"]["read"]
    assert [c["status"] for c in result["controls"]] == ["pass", "pass", "pass"]
    assert all(r["in_kernel"]["status"] == "covered" for r in result["requirements"])


@pytest.mark.parametrize("definition", ["kernel_module_loading_init", "kernel_module_loading_finit",
                                        "kernel_module_loading_delete", "privileged_commands_kmod"])
def test_openscap_agrees(host, definition):
    out = host.check_output("oscap oval eval --id oval:ssg-audit_rules_%s:def:1 "
                            "/usr/share/xml/scap/ssg/content/ssg-rhel9-oval.xml", definition)
    assert "oval:ssg-audit_rules_%s:def:1: true" % definition in out


def test_the_kernel_records_every_required_action(host):
    """Proof by events: each required action, fired harmlessly, produced a record in the kernel."""
    result = host.ansible("auditkit.auditd.audit_rules_probe", "profile=stig_rhel9", check=False)
    assert result["auditing"]["ran"], result["auditing"]
    assert result["all_recorded"], [(p["requirement"], p["status"], p["reason"]) for p in result["probe"]]
    assert [c["status"] for c in result["controls"]] == ["recorded", "recorded", "recorded"]
    keys = sorted(set(k for p in result["probe"] for r in p["records"] for k in r["keys"]))
    assert keys == ["module_chng", "modules"]
