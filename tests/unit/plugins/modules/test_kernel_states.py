# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel states that cannot be produced on the real kernel of a test machine.

An immutable kernel (enabled 2) cannot be set here without locking the machine's audit rules
until reboot, so these tests replace only the kernel reading (audit_host.kernel_state) with a
given KernelState; the files, validation and planning are real. Everything the real kernel
can show is tested in tests/kernel/test_modules_kernel.py."""
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info, audit_rules_load

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
LOADED = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng\n"


@pytest.fixture
def kernel_says(monkeypatch):
    def given(listing, enabled=1):
        state = N.KernelState(listing=listing, status={"enabled": enabled})
        monkeypatch.setattr(H, "kernel_state", lambda module: state)
    return given


def test_immutable_kernel_is_not_a_failure(run_module, rules_tree, kernel_says):
    kernel_says("No rules\n", enabled=2)
    rules_tree.write({"10.rules": "-D\n" + INIT + "\n"})
    result = run_module(audit_rules_load, **rules_tree.args())
    assert not result.get("failed") and result["reboot_required"] and not result["loaded"]
    assert "immutable" in result["reason"] and "reboot" in str(result["warnings"][0])
    assert not rules_tree.compiled.exists()


def test_check_mode_reports_the_change_and_loads_nothing(run_module, rules_tree, kernel_says):
    kernel_says("No rules\n")
    rules_tree.write({"10.rules": "-D\n" + INIT + "\n"})
    result = run_module(audit_rules_load, check=True, **rules_tree.args())
    assert result["changed"] and not result["loaded"] and result["reason"] == "check mode"
    assert result["missing_in_kernel"][0]["line"] == 2 and not rules_tree.compiled.exists()
    kernel_says(LOADED)
    assert not run_module(audit_rules_load, check=True, **rules_tree.args())["changed"]


def test_rules_already_loaded_without_minus_d_would_stop_auditctl(run_module, rules_tree, kernel_says):
    kernel_says(LOADED)
    rules_tree.write({"10.rules": INIT + "\n"})
    result = run_module(audit_rules_load, **rules_tree.args())
    assert result["failed"] and "Rule exists" in result["msg"] and "10.rules:1" in result["msg"]


def test_info_reports_immutable_kernel_missing_minus_d_and_unreadable_listing_lines(run_module, rules_tree,
                                                                                    kernel_says):
    kernel_says(LOADED + " -p x -F key=quirk\n", enabled=2)  # auditctl -l prints some perm rules like this
    rules_tree.write({"10.rules": INIT + "\n"})
    result = run_module(audit_rules_info, **rules_tree.args(rules=[INIT]))
    kinds = set(f["kind"] for f in result["findings"])
    assert {"kernel_immutable", "no_delete_all", "kernel_rule_unparsed"} <= kinds
    assert result["kernel"]["immutable"] and result["requirements"][0]["status"] == "pass"


def test_info_with_unreadable_kernel_judges_the_files(run_module, rules_tree, monkeypatch):
    state = N.KernelState(reason="no audit capability (CAP_AUDIT_CONTROL): not root, or a container")
    monkeypatch.setattr(H, "kernel_state", lambda module: state)
    rules_tree.write({"10.rules": INIT + "\n"})
    result = run_module(audit_rules_info, **rules_tree.args(rules=[INIT]))
    assert result["requirements"][0]["status"] == "pass" and result["requirements"][0]["in_kernel"] is None
    assert any(f["kind"] == "kernel_unreadable" for f in result["findings"])


def test_loader_detection_reads_the_real_auditd_unit():
    mode, evidence = H.detect_loader("/etc/audit/rules.d", "/etc/audit/audit.rules")
    if not any(os.path.exists(p) for p in H.SYSTEMD_UNITS):
        pytest.skip("no auditd systemd unit on this machine")
    assert mode == "augenrules" and "ExecStartPost=-/sbin/augenrules --load" in evidence
    assert H.detect_loader("/tmp/x", "/etc/audit/audit.rules")[0] == "augenrules"
