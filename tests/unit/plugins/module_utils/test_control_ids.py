# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Control IDs resolve per host: profile auto per /etc/os-release, then the host's profile
decides which named controls are checked and which are not_applicable there."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF

AL2023 = {"ID": "amzn", "VERSION_ID": "2023"}
RHEL9 = {"ID": "rhel", "VERSION_ID": "9.4"}


@pytest.mark.parametrize("os_release, expected", [
    (AL2023, (["stig:al2023:V-274091"], [])),
    (RHEL9, ([], ["stig:al2023:V-274091"])),
])
def test_auto_profile_then_ids_resolve_per_host(os_release, expected):
    profile, _why = PF.auto_profile(os_release)
    controls, not_in_profile = PF.resolve(profile, ["V-274091"])
    assert (controls, [c for c, _reason in not_in_profile]) == expected


def test_not_in_profile_reason_names_both_profiles_and_verdict_is_not_applicable():
    _controls, not_in_profile = PF.resolve("stig_rhel9", ["AZLX-23-002135"])
    verdict = PF.not_in_profile_verdicts(not_in_profile)[0]
    assert verdict["id"] == "V-274091" and verdict["status"] == "not_applicable"
    assert "AZLX-23-002135 is a control of stig_al2023" in verdict["reason"] and "stig_rhel9" in verdict["reason"]


def test_comma_lists_with_spaces_and_case():
    controls, not_in_profile = PF.resolve("stig_rhel9", ["V-258190, rhel-09-654105", " ", "V-274091,"])
    assert controls == ["stig:rhel9:V-258190", "stig:rhel9:V-258195"]
    assert [c for c, _r in not_in_profile] == ["stig:al2023:V-274091"]


@pytest.mark.parametrize("legacy, control", [
    ("V-72187", "stig:rhel7:V-204560"), ("SV-86811", "stig:rhel7:V-204560"),
    ("V-72189", "stig:rhel7:V-204562"), ("SV-86815", "stig:rhel7:V-204563"),
    ("SV-274091", "stig:al2023:V-274091"),  # a rule ID without its revision
])
def test_legacy_and_short_rule_ids_select_their_control(legacy, control):
    profile = control.split(":")[0] + "_" + control.split(":")[1]
    assert PF.select(profile, [legacy]) == [control]


def test_unknown_id_names_close_matches_whatever_the_profile():
    for profile in ("stig_al2023", "stig_rhel9"):
        with pytest.raises(PF.ProfileError, match=r"V-27409 \(did you mean [^)]*V-274091"):
            PF.resolve(profile, ["V-274091", "V-27409"])
    with pytest.raises(PF.ProfileError, match="skip_controls: nothing-like-it: not a control of any bundled profile"):
        PF.resolve("stig_rhel9", skipped=["nothing-like-it"])


def test_skipping_another_profiles_control_is_a_no_op():
    assert PF.resolve("stig_rhel9", skipped=["V-274091"]) == (PF.PROFILES["stig_rhel9"]["controls"], [])
    assert PF.resolve("stig_rhel9", ["V-274091"], ["V-274091"]) == ([], [])


def test_every_id_of_every_control_resolves_in_its_own_profiles():
    for name in PF.names():
        for control in PF.PROFILES[name]["controls"]:
            for control_id in PF.control_ids(control):
                controls, _foreign = PF.resolve(name, [control_id])
                assert control in controls, (name, control_id)
