# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Profiles stay true to the catalog facts, resolve on every arch they claim, and follow the
arch policy (AL2023: b64 required, b32 twins advisory; aarch64: no b32, no create_module)."""
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_profiles as PF
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_rule
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS, PROFILES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
RESEARCH = os.path.join(os.path.dirname(ROOT), "shared", "research", "controls.yml")
with open(os.path.join(ROOT, "data", "controls.yml")) as _handle:
    CATALOG = dict((c["id"], c) for c in yaml.safe_load(_handle)["controls"])


def test_generated_data_is_up_to_date():
    done = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen_profiles.py"), "--check"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    assert done.returncode == 0, done.stdout


def test_vendored_catalog_holds_the_research_catalog_and_names_the_source_of_the_rest():
    """data/ is the source of truth: every research control is there unchanged (the research file
    stays reference material), and a control it adds names where its facts come from."""
    if not os.path.exists(RESEARCH):
        pytest.skip("research catalog not present next to this checkout")
    with open(RESEARCH) as research, open(os.path.join(ROOT, "data", "controls.yml")) as vendored:
        research, vendored = yaml.safe_load(research), yaml.safe_load(vendored)
    assert research["catalog_meta"] == vendored["catalog_meta"]
    ours = dict((c["id"], c) for c in vendored["controls"])
    assert [c for c in research["controls"] if ours.get(c["id"]) != c] == []
    added = [c for c in vendored["controls"] if c["id"] not in set(r["id"] for r in research["controls"])]
    assert all(c.get("provenance") and c["source"].get("primary") for c in added), [c["id"] for c in added]


def _canonical(lines):
    return sorted(S.canonical_text(parse_rule(line), "x86_64") for line in lines)


def _fix_text_rules(control_id):
    """The rule lines of DISA's fix text, as the STIG prints them (data/controls.yml verbatim_fix_text)."""
    text = CATALOG[control_id]["verbatim_fix_text"]
    return [line.strip() for line in text.splitlines() if line.strip().startswith(("-a ", "-w "))]


# The STIG's own words judge the rules each STIG control checks (the CIS controls have no fix text in
# the catalog: tests/openscap/test_ssg_references.py judges them by the SCAP Security Guide's).
# Freshness of the generated data against data/ is `gen_profiles.py --check`'s (above).
# Only AlmaLinux OS 9's fix text is not public; tests/unit/plugins/modules/test_profiles_pass_their_fix_text.py
# judges its rules by the check text's example lines.
STIG_WITHOUT_PUBLIC_FIX_TEXT = ["stig:alma9:V-269466", "stig:alma9:V-269486"]


def test_only_the_alma_stig_lacks_its_fix_text():
    assert sorted(c for c in CONTROLS if c.startswith("stig:") and not CATALOG[c].get("verbatim_fix_text")) == \
        STIG_WITHOUT_PUBLIC_FIX_TEXT


@pytest.mark.parametrize("control_id", sorted(c for c in CONTROLS if c.startswith("stig:")
                                              and c not in STIG_WITHOUT_PUBLIC_FIX_TEXT))
def test_stig_control_rules_are_the_lines_of_disas_fix_text(control_id):
    fix_rules = _fix_text_rules(control_id)
    assert fix_rules, "no rule lines in the fix text of %s" % control_id
    assert _canonical(CONTROLS[control_id]["rules"]) == _canonical(fix_rules)


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "ppc64le", "s390x"])
def test_every_profile_rule_resolves_on_every_machine(profile, machine):
    rules, _notes = PF.profile_rules(profile, machine)
    requirements = Q.parse_requirements([r.text for r in rules], machine, allow_control=True)  # CIS RHEL 10's -c
    assert requirements and all(r.effective is not None or r.not_applicable or r.is_control for r in requirements)


def test_al2023_b64_required_and_b32_twins_advisory():
    rules, _notes = PF.profile_rules("stig_al2023", "x86_64")
    required = [r.text for r in rules if not r.advisory]
    assert required == [  # the three lines of DISA's AL2023 STIG V1R1 fix texts
        "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng",
        "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change",
        "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"]
    assert all("arch=b32" in r.text for r in rules if r.advisory) and len([r for r in rules if r.advisory]) == 2
    assert not [r for r in PF.profile_rules("stig_al2023", "x86_64", b32_twins=False)[0] if r.advisory]


def test_aarch64_leaves_out_b32_and_create_module_is_not_applicable():
    rules, notes = PF.profile_rules("stig_rhel9", "aarch64")
    assert not [r for r in rules if "arch=b32" in r.text] and notes["stig:rhel9:V-258190"]
    assert [r for r in PF.profile_rules("stig_rhel9", "aarch64", b32_on_aarch64=True)[0] if "arch=b32" in r.text]
    al2023 = PF.profile_rules("stig_al2023", "aarch64")[0]
    create = [r for r in al2023 if r.control == "stig:al2023:V-274092"]
    assert Q.parse_requirements([create[0].text], "aarch64")[0].not_applicable


def test_older_cis_forms_give_b32_for_32_bit_systems_only():
    """CIS RHEL 7 v3.1.1: "For 32 bit systems" the b32 rule, "for 64 bit systems" the b64 one."""
    b32 = "-a always,exit -F arch=b32 -S init_module -S delete_module -k modules"
    b64 = "-a always,exit -F arch=b64 -S init_module -S delete_module -k modules"
    rules = PF.profile_rules("cis_rhel7_v3", "x86_64")[0]
    assert [r.text for r in rules if r.advisory] == [b32]
    assert b64 in [r.text for r in rules if not r.advisory] and "-w /sbin/insmod -p x -k modules" in [r.text for r in rules]
    rules, notes = PF.profile_rules("cis_rhel7_v3", "i686")
    assert [r.text for r in rules if "arch=" in r.text] == [b32] and not [r for r in rules if r.advisory]
    assert notes["cis:rhel7:3.1.1:4.1.16"] == ["on 32-bit i386 the b32 form is required in place of: " + b64]


@pytest.mark.parametrize("release, profile", [
    ({"ID": "amzn", "VERSION_ID": "2023"}, "stig_al2023"),
    ({"ID": "rhel", "VERSION_ID": "9.4"}, "stig_rhel9"),
    ({"ID": "rocky", "VERSION_ID": "8.10"}, "stig_rhel8"),
    ({"ID": "centos", "VERSION_ID": "7"}, "stig_rhel7"),
    ({"ID": "ol", "VERSION_ID": "9.3"}, "stig_ol9"),
    ({"ID": "ubuntu", "VERSION_ID": "22.04"}, "stig_ubuntu2204"),
])
def test_auto_profile(release, profile):
    name, why = PF.auto_profile(release)
    assert name == profile and release["ID"] in why


def test_auto_profile_on_an_unsupported_system_names_the_choices():
    with pytest.raises(PF.ProfileError, match="no bundled STIG profile for ID=debian VERSION_ID=12; set profile"):
        PF.auto_profile({"ID": "debian", "VERSION_ID": "12"})


@pytest.mark.parametrize("wanted", ["V-274091", "SV-274091r1120261_rule", "AZLX-23-002135", "stig:al2023:V-274091"])
def test_controls_are_selected_by_any_id(wanted):
    assert PF.select("stig_al2023", [wanted]) == ["stig:al2023:V-274091"]


def test_unknown_control_or_profile_is_refused():
    with pytest.raises(PF.ProfileError, match="V-1 .*not a control of any bundled profile"):
        PF.select("stig_al2023", ["V-1"])
    with pytest.raises(PF.ProfileError, match="unknown profile"):
        PF.select("stig_nope")
    assert PF.select("stig_al2023", skipped=["V-274093"]) == ["stig:al2023:V-274091", "stig:al2023:V-274092"]


def test_advisory_failure_does_not_fail_a_control():
    control = "stig:al2023:V-274091"
    entries = [{"rule": "b64", "status": "pass", "reason": "ok", "advisory": False, "catalog_controls": [control]},
               {"rule": "b32", "status": "fail", "reason": "missing", "advisory": True, "catalog_controls": [control]}]
    verdict = PF.control_verdicts([control], entries)[0]
    assert verdict["status"] == "pass" and verdict["id"] == "V-274091"
    assert verdict["advisory"] == [{"rule": "b32", "status": "fail", "reason": "missing"}]
    entries[0]["status"] = "not_applicable"
    assert PF.control_verdicts([control], entries)[0]["status"] == "not_applicable"


# The role's tag list and profile choices are generated regions (gen_profiles.py --check keeps them
# fresh); what a user types must be in them, written here by hand.
def test_role_tags_take_the_ids_users_type():
    with open(os.path.join(ROOT, "roles", "module_loading", "tasks", "main.yml")) as handle:
        tasks = yaml.safe_load(handle)
    writer = next(t for t in tasks if "auditkit.auditd.audit_rules" in t)
    for tag in ("auditkit", "V-274091", "AZLX-23-002135", "V-258190", "RHEL-09-654080", "CIS_4.1.16"):
        assert tag in writer["tags"], tag


def test_role_profile_choices_are_auto_and_the_bundled_profiles():
    with open(os.path.join(ROOT, "roles", "module_loading", "meta", "argument_specs.yml")) as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    choices = specs["main"]["options"]["auditkit_profile"]["choices"]
    assert choices[0] == "auto" and {"stig_al2023", "stig_rhel9", "stig_ubuntu2204", "cis_rhel7_v3"} <= set(choices)


@pytest.mark.parametrize("distro, version, profile", [
    ("almalinux", "9.5", "stig_alma9"),  # was stig_rhel9, which reports RHEL IDs on an Alma host
    ("almalinux", "8.10", "stig_rhel8"), ("rocky", "9.4", "stig_rhel9"), ("rhel", "9.6", "stig_rhel9"),
    ("sles", "15.6", "stig_sle15"), ("sled", "15.5", "stig_sle15"),
    ("ubuntu", "20.04", "stig_ubuntu2004"), ("ubuntu", "22.04", "stig_ubuntu2204"), ("ubuntu", "24.04", "stig_ubuntu2404"),
])
def test_auto_picks_the_stig_of_the_os_release(distro, version, profile):
    assert PF.auto_profile({"ID": distro, "VERSION_ID": version})[0] == profile


def test_auto_refuses_a_release_without_a_stig():
    with pytest.raises(PF.ProfileError, match="ID=sles VERSION_ID=12.5"):
        PF.auto_profile({"ID": "sles", "VERSION_ID": "12.5"})
