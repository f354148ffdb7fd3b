# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Profiles stay true to the catalog facts, resolve on every arch they claim, and follow the
arch policy (AL2023: b64 required, b32 twins advisory; aarch64: no b32, no create_module)."""
import os
import re
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


def test_vendored_catalog_matches_the_research_catalog():
    if not os.path.exists(RESEARCH):
        pytest.skip("research catalog not present next to this checkout")
    with open(RESEARCH) as research, open(os.path.join(ROOT, "data", "controls.yml")) as vendored:
        assert yaml.safe_load(research) == yaml.safe_load(vendored)


def _catalog_rules(control_id):
    lines = [re.sub(r"\s+#.*$", "", line).replace("<UID_MIN>", "1000") for line in CATALOG[control_id]["required_rule_lines"]]
    return sorted(S.canonical_text(parse_rule(line), "x86_64") for line in lines)


@pytest.mark.parametrize("control_id", sorted(CONTROLS))
def test_control_facts_match_the_catalog(control_id):
    control, fact = CONTROLS[control_id], CATALOG[control_id]
    assert sorted(S.canonical_text(parse_rule(line), "x86_64") for line in control["rules"]) == _catalog_rules(control_id)
    for field in ("vuln_id", "rule_id", "stig_id", "title", "recommendation"):
        assert control[field] == fact.get(field)
    assert control["ccis"] == fact.get("ccis", []) and control["keys"] == fact["audit_keys"]


@pytest.mark.parametrize("profile", sorted(PROFILES))
@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "ppc64le", "s390x"])
def test_every_profile_rule_resolves_on_every_machine(profile, machine):
    rules, _notes = PF.profile_rules(profile, machine)
    requirements = Q.parse_requirements([r.text for r in rules], machine)
    assert requirements and all(r.effective is not None or r.not_applicable for r in requirements)


def test_al2023_b64_required_and_b32_twins_advisory():
    rules, _notes = PF.profile_rules("stig_al2023", "x86_64")
    required = [r.text for r in rules if not r.advisory]
    assert required == [line for c in PROFILES["stig_al2023"]["controls"] for line in CONTROLS[c]["rules"]]
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


def _tag_ids():
    tags = []
    for control in sorted(CONTROLS):
        for tag in PF.labels(control):
            tag = tag.replace("CIS ", "CIS_")
            if tag not in tags:
                tags.append(tag)
    return tags


def test_role_tags_cover_every_control_id():
    role = os.path.join(ROOT, "roles", "module_loading")
    with open(os.path.join(role, "tasks", "main.yml")) as handle:
        tasks = yaml.safe_load(handle)
    with open(os.path.join(role, "vars", "main.yml")) as handle:
        known = yaml.safe_load(handle)["_auditkit_control_tags"]
    writer = next(t for t in tasks if "auditkit.auditd.audit_rules" in t)
    assert sorted(writer["tags"]) == sorted(["auditkit"] + _tag_ids()) and sorted(known) == sorted(_tag_ids())


def test_role_profile_choices_match_the_bundled_profiles():
    with open(os.path.join(ROOT, "roles", "module_loading", "meta", "argument_specs.yml")) as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    assert specs["main"]["options"]["auditkit_profile"]["choices"] == [PF.AUTO] + PF.names()
