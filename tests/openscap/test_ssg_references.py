# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The control catalog judged against an outside source: the SCAP Security Guide's XCCDF for
RHEL 7/8/9 and Oracle Linux 8/9 (Debian's ssg-nondebian, installed by scripts/setup.sh).

Every difference in STIG IDs, DISA rule IDs, CCIs, SRGs, CIS numbers and (where both describe
the same STIG release) remediation rule lines must be one listed in docs/ssg-crosscheck.md, and
every listed one must still occur. Needs no file outside this checkout but SSG's content."""
import os
import re

import pytest
import ssg_references as R

DOC = os.path.join(R.ROOT, "docs", "ssg-crosscheck.md")
ROW = re.compile(r"^\| `([^`]+)` \| `([^`]+)` \| `([^`]*)` \| `([^`]*)` \|")
DOCUMENTED_SSG_VERSION = "0.1.65"


def documented_rows():
    with open(DOC) as handle:
        return sorted(ROW.match(line).groups() for line in handle if ROW.match(line))


@pytest.fixture(scope="module")
def ssg_present():
    missing = [p for p in R.PRODUCTS.values() if not os.path.exists(os.path.join(R.SSG, "ssg-%s-xccdf.xml" % p))]
    assert not missing, "SSG XCCDF missing for %s: run make setup (Debian package ssg-nondebian)" % missing


def test_the_documented_ssg_version_is_the_installed_one(ssg_present):
    versions = dict((p, R.ssg_version(p)) for p in R.PRODUCTS.values())
    assert set(versions.values()) == {DOCUMENTED_SSG_VERSION}, (
        "SSG is now %s: compare again and update docs/ssg-crosscheck.md" % versions)


def test_every_catalog_product_is_read_from_ssg(ssg_present):
    for product in R.PRODUCTS.values():
        rules = R.read_product(product)
        assert {"audit_rules_kernel_module_loading_init", "audit_rules_kernel_module_loading_delete",
                "audit_rules_privileged_commands_kmod"} <= set(rules)
        assert all(rule.refs("cci") for rule in rules.values())


def test_ssg_remediation_lines_are_read():
    rules = R.read_product("rhel7")
    assert rules["audit_rules_kernel_module_loading_init"].lines == [
        "-a always,exit -F arch=b32 -S init_module -F auid>=1000 -F auid!=unset -k modules",
        "-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset -k modules"]
    assert rules["audit_rules_privileged_commands_insmod"].lines == ["-w /sbin/insmod -p x -k modules"]
    assert rules["audit_rules_privileged_commands_kmod"].lines == [
        "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k privileged"]


def test_differences_are_exactly_the_documented_ones(ssg_present):
    found = R.differences()
    documented = documented_rows()
    assert documented, "no rows parsed from docs/ssg-crosscheck.md"
    assert [r for r in found if r not in documented] == [], "undocumented differences"
    assert [r for r in documented if r not in found] == [], "documented differences that no longer occur"


def test_a_wrong_catalog_fact_is_caught(ssg_present, monkeypatch):
    """The check can fail: a CCI, a rule revision or a rule line changed in the catalog shows up."""
    catalog = R.load_catalog()
    kmod = next(c for c in catalog if c["id"] == "stig:rhel7:V-204563")
    kmod["ccis"] = kmod["ccis"] + ["CCI-999999"]
    kmod["required_rule_lines"] = [kmod["required_rule_lines"][0].replace("perm=x", "perm=wa")]
    monkeypatch.setattr(R, "load_catalog", lambda: catalog)
    new = [r for r in R.differences() if r not in documented_rows()]
    assert [r[:2] for r in new] == [("stig:rhel7:V-204563", "ccis"), ("stig:rhel7:V-204563", "rules")]
