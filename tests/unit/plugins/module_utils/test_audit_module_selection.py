# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The selection of a module call (audit_module.requirements) resolves the profile's control IDs
once, and the rules it takes are those profile_rules() gives for the same options."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_module as M
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF


class ParamsOnly(object):
    def __init__(self, **params):
        self.params = dict(dict(profile=None, controls=[], skip_controls=[], b32_twins=True, b32_on_aarch64=False,
                                rules=[]), **params)

    def fail_json(self, msg, **kwargs):
        raise AssertionError(msg)


@pytest.mark.parametrize("profile, controls, skipped, machine", [
    ("stig_al2023", [], [], "x86_64"),
    ("stig_rhel9", [], ["V-258189"], "aarch64"),
    ("stig_rhel9", ["V-258190", "V-274091"], [], "x86_64"),
    ("cis_rhel7_v3", [], [], "i686"),
])
def test_selection_resolves_once_and_takes_the_profile_rules(monkeypatch, profile, controls, skipped, machine):
    calls = []
    resolve = PF.resolve

    def counted(*args):
        calls.append(args)
        return resolve(*args)
    monkeypatch.setattr(PF, "resolve", counted)
    selection = M.requirements(ParamsOnly(profile=profile, controls=controls, skip_controls=skipped), machine)
    assert len(calls) == 1
    rules, notes = PF.profile_rules(profile, machine, controls, skipped)
    assert [r.text for r in selection.requirements] == [r.text for r in rules]
    assert selection.notes == notes and selection.controls == resolve(profile, controls, skipped)[0]
