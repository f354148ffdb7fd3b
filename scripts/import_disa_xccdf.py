# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write data/disa_stig.yml from DISA's own XCCDF files and CCI list (run by hand, once per release).

DISA publishes each STIG as an XCCDF 1.1 benchmark; ComplianceAsCode/content keeps the copies in
shared/references/. This script reads, for every bundled STIG profile, the benchmark identity
(Benchmark id, title, version, release-info) and, for each catalog control of the profile, DISA's
rule fields (the Group and Rule as STIG Viewer and STIG Manager read them), and from
disa-cci-list.xml the NIST SP 800-53 references of the CCIs those rules name. It also writes the
verbatim excerpt of each file (the header up to <version> and our Groups) to tests/fixtures/disa/,
the independent test data the checklist tests read their expected benchmark identity from.

    python scripts/import_disa_xccdf.py DIR    # DIR holds the files named in SOURCES

scripts/gen_profiles.py then turns data/disa_stig.yml into the generated modules.
"""
import argparse
import os
import re
import sys
from xml.etree import ElementTree

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROFILES = os.path.join(ROOT, "data", "profiles.yml")
TARGET = os.path.join(ROOT, "data", "disa_stig.yml")
EXCERPTS = os.path.join(ROOT, "tests", "fixtures", "disa")
XCCDF = "{http://checklists.nist.gov/xccdf/1.1}"
CCI_NS = "{http://iase.disa.mil/cci}"
REPOSITORY = "ComplianceAsCode/content"
MASTER = "b3a2cca9352cbcefb7f00d770bfd6f679da18d6a"  # the catalog's mirror (data/controls.yml catalog_meta)

# profile: (file in shared/references/, commit it was read at, provenance note)
SOURCES = {
    "stig_al2023": ("disa-stig-al2023-v1r1-xccdf-manual.xml", "b43aa4e9d4488186d7fca27f916fda82423f8bc9",
                    "V1R1 is the newest DISA XCCDF in the public references; the profile's rule revisions are "
                    "unchanged in V1R2 and V1R3 (data/controls.yml version_note), so the checklist claims V1R1"),
    "stig_rhel10": ("disa-stig-rhel10-v1r2-xccdf-manual.xml", MASTER, "the release the profile claims (V1R2)"),
    "stig_rhel9": ("disa-stig-rhel9-v2r9-xccdf-manual.xml", MASTER, "the release the profile claims (V2R9)"),
    "stig_rhel8": ("disa-stig-rhel8-v2r8-xccdf-manual.xml", MASTER, "the release the profile claims (V2R8)"),
    "stig_rhel7": ("disa-stig-rhel7-v3r14-xccdf-manual.xml", "6ea72a49f4aec0c1c0b695b7ba4e1a1ae6349cef",
                   "the release the profile claims (V3R14; the file was removed from master with RHEL 7)"),
    "stig_ol9": ("disa-stig-ol9-v1r6-xccdf-manual.xml", MASTER, "the release the profile claims (V1R6)"),
    "stig_ol8": ("disa-stig-ol8-v2r9-xccdf-manual.xml", MASTER, "the release the profile claims (V2R9)"),
    "stig_ubuntu2204": ("disa-stig-ubuntu2204-v2r8-xccdf-manual.xml", MASTER, "the release the profile claims (V2R8)"),
    "stig_sle15": ("disa-stig-sle15-v2r7-xccdf-manual.xml", MASTER, "the release the profile claims (V2R7)"),
    "stig_ubuntu2004": ("disa-stig-ubuntu2004-v1r12-xccdf-manual.xml", "fa217d7e73d70bbab9b5f40b724f6503347ce63a",
                        "V1R12 is the newest DISA XCCDF in the public references (removed from master with the Ubuntu "
                        "20.04 product); later releases are not claimed (data/controls.yml version_note)"),
}
# stig_alma9 and stig_ubuntu2404 have no entry: DISA's XCCDF of those STIGs is in no public source
# found (docs/profiles.md), so they carry no DISA benchmark identity and write no checklists.
CCI_LIST = ("disa-cci-list.xml", MASTER)
# The <description> of a DISA rule is escaped XML: these tags, STIG Viewer's rule fields
DESCRIPTION_TAGS = (("VulnDiscussion", "discussion"), ("FalsePositives", "false_positives"),
                    ("FalseNegatives", "false_negatives"), ("Documentable", "documentable"),
                    ("Mitigations", "mitigations"), ("SeverityOverrideGuidance", "security_override_guidance"),
                    ("PotentialImpacts", "potential_impacts"), ("ThirdPartyTools", "third_party_tools"),
                    ("MitigationControl", "mitigation_control"), ("Responsibility", "responsibility"),
                    ("IAControls", "ia_controls"))


class Literal(str):
    """A multi-line string written as a YAML block scalar."""


def _literal(dumper, value):
    style = "|" if "\n" in value and not re.search(r"[ \t]\n|\n[ \t]|^\s|\s$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


yaml.SafeDumper.add_representer(Literal, _literal)


def _text(element):
    return Literal(element.text or "") if element is not None else ""


def description_fields(description):
    fields = {}
    for tag, name in DESCRIPTION_TAGS:
        match = re.search(r"<%s>(.*?)</%s>" % (tag, tag), description or "", re.S)
        fields[name] = Literal(match.group(1)) if match else ""
    return fields


def rule_fields(group):
    rule = group.find(XCCDF + "Rule")
    idents = [(i.get("system"), i.text) for i in rule.findall(XCCDF + "ident")]
    fields = {
        "group_id": group.get("id"),
        "group_title": _text(group.find(XCCDF + "title")),
        "group_description": _text(group.find(XCCDF + "description")),
        "rule_id": rule.get("id"),
        "rule_version": _text(rule.find(XCCDF + "version")),
        "rule_title": _text(rule.find(XCCDF + "title")),
        "weight": rule.get("weight"),
        "severity": rule.get("severity"),
        "legacy_ids": [v for s, v in idents if s == "http://cyber.mil/legacy"],
        "ccis": [v for s, v in idents if s == "http://cyber.mil/cci"],
        "fix_text": _text(rule.find(XCCDF + "fixtext")),
        "fix_id": rule.find(XCCDF + "fixtext").get("fixref"),
        "check_id": rule.find(XCCDF + "check").get("system"),
        "check_content": _text(rule.find(XCCDF + "check/" + XCCDF + "check-content")),
        "check_content_ref": dict(rule.find(XCCDF + "check/" + XCCDF + "check-content-ref").attrib),
    }
    fields.update(description_fields(rule.find(XCCDF + "description").text))
    return fields


def benchmark_identity(root, name, source):
    release_info = next(p.text for p in root.findall(XCCDF + "plain-text") if p.get("id") == "release-info")
    match = re.match(r"^Release: (\d+) Benchmark Date: (\d\d \w\w\w \d{4})$", release_info)
    if not match:
        sys.exit("%s: release-info %r is not DISA's 'Release: N Benchmark Date: DD Mon YYYY'" % (name, release_info))
    filename, commit, provenance = source
    return {
        "benchmark_id": root.get("id"), "title": root.find(XCCDF + "title").text,
        "version": int(root.find(XCCDF + "version").text), "release": int(match.group(1)),
        "benchmark_date": match.group(2), "release_info": release_info,
        "status_date": root.find(XCCDF + "status").get("date"),
        "source": {"repository": REPOSITORY, "commit": commit, "file": "shared/references/" + filename},
        "provenance": provenance,
    }


def excerpt(text, group_ids):
    """DISA's bytes: everything before the first <Profile, our Groups, the closing tag."""
    head = text[:re.search(r"<Profile |<Group ", text).start()]
    groups = [re.search(r'<Group id="%s">.*?</Group>' % re.escape(g), text, re.S).group(0) for g in group_ids]
    return head + "".join(groups) + "</Benchmark>\n"


def cci_references(path, ccis):
    root = ElementTree.parse(path).getroot()
    out = {}
    for item in root.iter(CCI_NS + "cci_item"):
        if item.get("id") not in ccis:
            continue
        refs = item.findall(CCI_NS + "references/" + CCI_NS + "reference")
        out[item.get("id")] = {
            "definition": item.find(CCI_NS + "definition").text,
            "nist_800_53_rev5": [r.get("index") for r in refs if r.get("title") == "NIST SP 800-53 Revision 5"],
            "nist_800_53_rev4": [r.get("index") for r in refs if r.get("title") == "NIST SP 800-53 Revision 4"],
        }
    missing = sorted(set(ccis) - set(out))
    if missing:
        sys.exit("disa-cci-list.xml lacks %s" % ", ".join(missing))
    return out, root.find(CCI_NS + "metadata/" + CCI_NS + "version").text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", help="folder holding the files named in SOURCES")
    args = parser.parse_args()
    with open(PROFILES) as handle:
        profiles = yaml.safe_load(handle)["profiles"]
    benchmarks, rules = {}, {}
    os.makedirs(EXCERPTS, exist_ok=True)
    for name, source in sorted(SOURCES.items()):
        path = os.path.join(args.directory, source[0])
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        root = ElementTree.fromstring(text.encode("utf-8"))
        benchmarks[name] = benchmark_identity(root, name, source)
        groups = dict((g.get("id"), g) for g in root.findall(XCCDF + "Group"))
        for control in profiles[name]["controls"]:
            vuln = control.split(":")[-1]
            if vuln not in groups:
                sys.exit("%s: %s has no Group %s" % (name, source[0], vuln))
            rules[control] = rule_fields(groups[vuln])
        with open(os.path.join(EXCERPTS, source[0].replace(".xml", ".excerpt.xml")), "w", encoding="utf-8") as out:
            out.write(excerpt(text, [c.split(":")[-1] for c in profiles[name]["controls"]]))
    ccis = sorted(set(c for r in rules.values() for c in r["ccis"]))
    cci_map, cci_version = cci_references(os.path.join(args.directory, CCI_LIST[0]), ccis)
    document = {
        "sources": {"cci_list": {"repository": REPOSITORY, "commit": CCI_LIST[1],
                                 "file": "shared/references/" + CCI_LIST[0], "version": cci_version}},
        "benchmarks": benchmarks, "rules": rules, "ccis": cci_map,
    }
    header = ("# DISA's own data for the bundled STIG profiles. GENERATED by scripts/import_disa_xccdf.py from\n"
              "# DISA's XCCDF files and CCI list (the sources below): do not edit by hand.\n"
              "# benchmarks: per profile, the Benchmark identity checklists carry (CKLB stig_id, version,\n"
              "#   release_info); rules: per catalog control, DISA's Group/Rule fields; ccis: CCI -> NIST SP 800-53.\n---\n")
    with open(TARGET, "w", encoding="utf-8") as out:
        out.write(header + yaml.safe_dump(document, sort_keys=True, allow_unicode=True, width=10000))


if __name__ == "__main__":
    main()
