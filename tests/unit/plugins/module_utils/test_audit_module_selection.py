# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The selection of a module call (audit_module.requirements) resolves the profile's control IDs
once, and takes the rules the benchmarks ask for with those options."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF


class ParamsOnly(object):
    def __init__(self, **params):
        self.params = dict(dict(profile=None, controls=[], skip_controls=[], b32_twins=True, b32_on_aarch64=False,
                                rules=[]), **params)

    def fail_json(self, msg, **kwargs):
        raise AssertionError(msg)


AUID = "-F auid>=1000 -F auid!=unset"
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x %s -k modules" % AUID


def _init(arch):
    return "-a always,exit -F arch=%s -S init_module,finit_module %s -k module_chng" % (arch, AUID)


# Expected rules written from the benchmarks' fix texts (data/controls.yml verbatim_fix_text), not
# from profile_rules(): AL2023 asks for b64 (b32 twins advisory); RHEL 9 for b32 and b64, no b32 on
# aarch64; CIS RHEL 7 v3.1.1 for the b32 form "for 32 bit systems".
@pytest.mark.parametrize("profile, controls, skipped, machine, expected", [
    ("stig_al2023", [], [], "x86_64", [
        _init("b64"), _init("b32"),
        "-a always,exit -F arch=b64 -S create_module %s -k module-change" % AUID,
        "-a always,exit -F arch=b32 -S create_module %s -k module-change" % AUID, KMOD]),
    ("stig_rhel9", [], ["V-258189"], "aarch64", [_init("b64"), KMOD]),
    ("stig_rhel9", ["V-258190", "V-274091"], [], "x86_64", [_init("b32"), _init("b64")]),
    ("cis_rhel7_v3", [], [], "i686", ["-w /sbin/insmod -p x -k modules", "-w /sbin/rmmod -p x -k modules",
                                      "-w /sbin/modprobe -p x -k modules",
                                      "-a always,exit -F arch=b32 -S init_module -S delete_module -k modules"]),
])
def test_selection_resolves_once_and_takes_the_profile_rules(monkeypatch, profile, controls, skipped, machine,
                                                             expected):
    calls = []
    resolve = PF.resolve

    def counted(*args):
        calls.append(args)
        return resolve(*args)
    monkeypatch.setattr(PF, "resolve", counted)
    selection = M.requirements(ParamsOnly(profile=profile, controls=controls, skip_controls=skipped), machine)
    assert len(calls) == 1
    assert [r.text for r in selection.requirements] == expected
