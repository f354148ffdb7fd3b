# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_rules_probe without root: its control verdicts (other profiles' controls named in the
controls option are not_applicable, as audit_rules_info says) and its kernel reads (auditctl -l
once; the lost counter after firing from auditctl -s alone). The records themselves are judged
on the real kernel in tests/kernel/test_event_proof.py."""
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info, audit_rules_probe


def test_other_profiles_controls_are_not_applicable_as_in_audit_rules_info(run_module, rules_tree, monkeypatch):
    monkeypatch.setattr(H, "kernel_state", lambda module: N.KernelState(reason="not root (test)"))
    options = dict(profile="stig_rhel9", controls=["V-258189", "V-274091"])
    probe = run_module(audit_rules_probe, **options)
    assert [(c["id"], c["status"]) for c in probe["controls"]] == [("V-258189", "inconclusive"),
                                                                   ("V-274091", "not_applicable")]
    info = run_module(audit_rules_info, **rules_tree.args(arch=None, **options))
    other = [c for c in info["controls"] if c["id"] == "V-274091"][0]
    assert probe["controls"][1]["reason"] == other["reason"] and "stig_al2023" in other["reason"]


class CountingModule(object):
    def __init__(self):
        self.calls = []

    def get_bin_path(self, name, opt_dirs=None):
        return "/sbin/auditctl"

    def run_command(self, args):
        self.calls.append(list(args))
        return 0, "enabled 1\nlost 7\n", ""


def test_the_lost_counter_reuses_the_first_status_and_then_reads_auditctl_s_alone():
    module = CountingModule()
    read = audit_rules_probe._lost_reader(module, {"enabled": 1, "lost": 5})
    assert read() == 5 and module.calls == []
    assert read() == 7 and module.calls == [["/sbin/auditctl", "-s"]]
