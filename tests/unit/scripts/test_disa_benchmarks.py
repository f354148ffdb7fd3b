# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DISA benchmark identity of each STIG profile, against DISA's own text.

tests/fixtures/disa/ holds verbatim excerpts of DISA's XCCDF files (ComplianceAsCode/content
shared/references/, the commit of each in data/disa_stig.yml): the header up to <version> and
the Groups of our controls. The release each profile claims is the hand-written title in
data/profiles.yml ("... (V2R9)"); the generated profile data must carry DISA's identity for it."""
import os
import re

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils.audit_control_texts import CCI_NIST, TEXTS
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_profiles_data import PROFILES

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "disa")
# DISA's XCCDF of the AlmaLinux OS 9 and Ubuntu 24.04 STIGs is in no public source found
# (docs/profiles.md): those profiles carry no DISA benchmark identity and write no checklists.
WITHOUT_DISA_XCCDF = ["stig_alma9", "stig_ubuntu2404"]
STIG_PROFILES = sorted(name for name in PROFILES if name.startswith("stig_") and name not in WITHOUT_DISA_XCCDF)


def test_only_the_stigs_without_a_public_disa_file_lack_the_benchmark_identity():
    assert sorted(n for n in PROFILES if n.startswith("stig_") and PROFILES[n]["benchmark"] is None) == WITHOUT_DISA_XCCDF
    assert all(TEXTS[c]["disa"] is None for n in WITHOUT_DISA_XCCDF for c in PROFILES[n]["controls"])


def _excerpt(profile):
    source = PROFILES[profile]["benchmark"]["source"]["file"]
    name = os.path.basename(source).replace(".xml", ".excerpt.xml")
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as handle:
        return handle.read()


@pytest.mark.parametrize("profile", STIG_PROFILES)
def test_each_stig_profile_carries_disa_identity_of_the_release_its_title_claims(profile):
    text = _excerpt(profile)
    benchmark = PROFILES[profile]["benchmark"]
    assert re.search(r'<Benchmark [^>]* id="([^"]+)"', text).group(1) == benchmark["benchmark_id"]
    release_info = re.search(r'<plain-text id="release-info">([^<]+)</plain-text>', text).group(1)
    assert benchmark["release_info"] == release_info
    version = int(re.search(r"</plain-text><version>(\d+)</version>", text).group(1))
    release = int(re.match(r"Release: (\d+) ", release_info).group(1))
    assert (benchmark["version"], benchmark["release"]) == (version, release)
    claimed = re.search(r"\(V(\d+)R(\d+)", PROFILES[profile]["title"]).groups()
    assert tuple(int(n) for n in claimed) == (version, release), PROFILES[profile]["title"]


@pytest.mark.parametrize("profile", STIG_PROFILES)
def test_each_stig_control_carries_disa_rule_id_with_revision_and_its_ccis(profile):
    text = _excerpt(profile)
    for catalog_id in PROFILES[profile]["controls"]:
        disa = TEXTS[catalog_id]["disa"]
        group = re.search(r'<Group id="%s">.*?</Group>' % disa["group_id"], text, re.S).group(0)
        assert '<Rule id="%s" weight="%s" severity="%s">' % (disa["rule_id"], disa["weight"], disa["severity"]) in group
        assert re.findall(r'<ident system="http://cyber.mil/cci">([^<]+)</ident>', group) == disa["ccis"]
        assert re.findall(r'<ident system="http://cyber.mil/legacy">([^<]+)</ident>', group) == disa["legacy_ids"]
        assert disa["benchmark"] == PROFILES[profile]["benchmark"]
        assert all(CCI_NIST[cci]["nist_800_53_rev5"] for cci in disa["ccis"])


def test_cis_profiles_have_no_disa_benchmark():
    for name in PROFILES:
        if name.startswith("cis_"):
            assert PROFILES[name]["benchmark"] is None
            assert all(TEXTS[c]["disa"] is None for c in PROFILES[name]["controls"])
