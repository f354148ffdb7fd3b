# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Each host's warnings beside its verdicts, and the checklist rule for a pass that did not see
what the benchmark's check reads (the kernel for auditctl -l, the compiled file for a grep of it)."""
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD


def _result(catalog_id, kernel_view, findings=()):
    """A judged host: one passing control, its requirement seen on disk and (or not) in the kernel."""
    view = {"status": "covered", "evidence": []}
    return {"profile": {"name": catalog_id.split(":")[1]}, "mode": "augenrules", "findings": list(findings),
            "controls": [{"id": catalog_id.split(":")[-1], "catalog_id": catalog_id, "status": "pass",
                          "reason": "every required rule is covered"}],
            "requirements": [{"rule": "-w /usr/bin/kmod -p x", "catalog_controls": [catalog_id], "status": "pass",
                              "missing": [], "on_disk": view, "in_kernel": view if kernel_view else None}]}


STALE = {"kind": "compiled_stale", "severity": "warning", "message": "augenrules --load will change the kernel's rules",
         "file": "/etc/audit/audit.rules", "line": None, "text": None}


def _checklist(catalog_id, kernel_view, findings=()):
    report = RD.build_report({"h": _result(catalog_id, kernel_view, findings)})
    host = report["hosts"][0]
    return host["controls"][0], RD.checklist_status(host["controls"][0], host, report["controls"][0])


def test_a_pass_is_not_a_finding_only_where_the_check_as_written_was_made():
    # RHEL 9: the check reads auditctl -l
    assert _checklist("stig:rhel9:V-258195", True)[1] == "not_a_finding"
    row, status = _checklist("stig:rhel9:V-258195", False)
    assert status == "not_reviewed" and row["status"] == "pass"
    assert row["reason"] == "every required rule is covered (on disk; kernel not read)"
    # RHEL 8: the check greps /etc/audit/audit.rules, the compiled file
    assert _checklist("stig:rhel8:V-230465", False)[1] == "not_a_finding"
    assert _checklist("stig:rhel8:V-230465", False, [STALE])[1] == "not_reviewed"


def test_host_warnings_text_names_each_warning_with_its_place():
    host = RD.build_report({"h": _result("stig:rhel9:V-258195", True, [
        STALE, dict(STALE, kind="duplicate", severity="info", message="seen twice")])})["hosts"][0]
    assert RD.host_warnings_text(host) == ("compiled_stale: augenrules --load will change the kernel's rules "
                                           "(/etc/audit/audit.rules)")
