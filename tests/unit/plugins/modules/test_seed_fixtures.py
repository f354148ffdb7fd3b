# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark texts pass their own controls (issue 12): the seed texts verbatim
(tests/fixtures/seeds/), and the fix text of every control in the catalog.

Each seed passes its control on the machines it is written for, fails when any one line is
removed, and audit_rules on an empty host writes lines that pass the same check."""
import os
import re

import pytest
import yaml

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import CONTROLS, PROFILES, UID_MIN

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SEEDS = os.path.join(ROOT, "tests", "fixtures", "seeds")
with open(os.path.join(ROOT, "data", "controls.yml")) as _handle:
    CATALOG = dict((c["id"], c) for c in yaml.safe_load(_handle)["controls"])

# (fixture, rules.d file name the text names, profile, control, machine it is written for)
SEED_CASES = [
    ("stig_al2023_V-274091.rules", "audit.rules", "stig_al2023", "V-274091", "x86_64"),
    ("stig_al2023_V-274091.rules", "audit.rules", "stig_al2023", "V-274091", "aarch64"),
    ("cis_rhel7_v3_4.1.16_64bit.rules", "modules.rules", "cis_rhel7_v3", "CIS 4.1.16", "x86_64"),
    ("cis_rhel7_v3_4.1.16_32bit.rules", "modules.rules", "cis_rhel7_v3", "CIS 4.1.16", "i686"),
]
# The other alternative on the other machine must not pass.
WRONG_MACHINE = [
    ("cis_rhel7_v3_4.1.16_64bit.rules", "cis_rhel7_v3", "CIS 4.1.16", "i686"),
    ("cis_rhel7_v3_4.1.16_32bit.rules", "cis_rhel7_v3", "CIS 4.1.16", "x86_64"),
]


def seed_lines(name):
    with open(os.path.join(SEEDS, name)) as handle:
        return handle.read().splitlines()


def fix_text_lines(control):
    """The rule lines a control's fix text prints (the catalog's lines where it holds no text)."""
    text = control.get("verbatim_fix_text")
    if text:
        return [line.strip() for line in text.splitlines() if re.match(r"\s*-[aw] ", line)]
    return [re.sub(r"\s+#.*$", "", line).replace("<UID_MIN>", str(UID_MIN)).strip()
            for line in control["required_rule_lines"]]


def control_verdict(result, control_id):
    return next(c for c in result["controls"] if c["id"] == control_id)


@pytest.fixture
def judge(run_module, rules_tree):
    def run(files, profile, control_id, machine):
        rules_tree.write(files)
        result = run_module(audit_rules_info, **rules_tree.args(
            profile=profile, controls=[control_id.replace("CIS ", "")], arch=machine, loaded=False))
        return control_verdict(result, control_id)
    return run


@pytest.mark.parametrize("seed, dest, profile, control_id, machine", SEED_CASES)
def test_seed_text_passes_its_control(judge, seed, dest, profile, control_id, machine):
    verdict = judge({dest: "\n".join(seed_lines(seed)) + "\n"}, profile, control_id, machine)
    assert verdict["status"] == "pass", verdict


@pytest.mark.parametrize("seed, dest, profile, control_id, machine", SEED_CASES)
def test_seed_text_without_any_one_line_fails(run_module, tmp_path, seed, dest, profile, control_id, machine):
    lines = seed_lines(seed)
    for index, removed in enumerate(lines):
        rules_dir = tmp_path / str(index)
        rules_dir.mkdir()
        (rules_dir / dest).write_text("\n".join(lines[:index] + lines[index + 1:]) + "\n")
        result = run_module(audit_rules_info, rules_dir=str(rules_dir), compiled_file=str(tmp_path / "audit.rules"),
                            profile=profile, controls=[control_id.replace("CIS ", "")], arch=machine, loaded=False)
        verdict = control_verdict(result, control_id)
        assert verdict["status"] == "fail", (removed, verdict)


@pytest.mark.parametrize("seed, profile, control_id, machine", WRONG_MACHINE)
def test_seed_alternative_for_the_other_machine_fails(judge, seed, profile, control_id, machine):
    verdict = judge({"modules.rules": "\n".join(seed_lines(seed)) + "\n"}, profile, control_id, machine)
    assert verdict["status"] == "fail", verdict


@pytest.mark.parametrize("seed, dest, profile, control_id, machine", SEED_CASES)
def test_remediation_on_an_empty_host_passes(run_module, rules_tree, seed, dest, profile, control_id, machine):
    control = control_id.replace("CIS ", "")
    written = run_module(audit_rules, **rules_tree.args(profile=profile, controls=[control], arch=machine,
                                                        dest=str(rules_tree.rules_dir / dest)))
    assert written["changed"] and not written.get("failed"), written
    result = run_module(audit_rules_info, **rules_tree.args(profile=profile, controls=[control], arch=machine,
                                                            loaded=False))
    assert control_verdict(result, control_id)["status"] == "pass"
    text = rules_tree.read(dest)
    if machine == "i686":
        assert "arch=b64" not in text and "-a always,exit -F arch=b32 -S init_module,delete_module -k modules" in text


def _controls_in_profiles():
    return sorted(set(c for p in PROFILES.values() for c in p["controls"]))


def _profile_of(control):
    return next(name for name in sorted(PROFILES) if control in PROFILES[name]["controls"])


@pytest.mark.parametrize("control", _controls_in_profiles())
def test_every_profile_controls_own_fix_text_passes_it(judge, control):
    lines = fix_text_lines(CATALOG[control])
    assert lines, "no rule lines in the fix text of %s" % control
    verdict = judge({"audit.rules": "\n".join(lines) + "\n"}, _profile_of(control), CONTROLS[control]["id"], "x86_64")
    assert verdict["status"] == "pass", verdict


@pytest.mark.parametrize("control", sorted(CATALOG))
def test_every_catalog_controls_fix_text_passes_its_required_lines(run_module, rules_tree, control):
    """Controls no profile bundles (superseded releases) too: the catalog's required lines as
    requirements, the fix text's lines on disk."""
    rules_tree.write({"audit.rules": "\n".join(fix_text_lines(CATALOG[control])) + "\n"})
    required = [re.sub(r"\s+#.*$", "", line).replace("<UID_MIN>", str(UID_MIN)).strip()
                for line in CATALOG[control]["required_rule_lines"]]
    result = run_module(audit_rules_info, **rules_tree.args(rules=required, loaded=False))
    assert [r["status"] for r in result["requirements"]] == ["pass"] * len(required), result["requirements"]
