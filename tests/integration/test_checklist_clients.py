# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""STIG Manager's own parser reads the checklists drift_report writes (one drift_report run
through ansible-playbook on a mixed sandbox fleet, shared by every test here): a host per bundled
STIG profile with passing, failing, waived and not applicable controls, a CIS host, a host
without a rules directory (error) and an unreachable one; facts gathered
(-e auditkit_report_facts=true).

STIG Manager's parser is npm @nuwcdivnpt/stig-manager-client-modules (reviewsFromCklb for
STIG Viewer 3 ``.cklb``, reviewsFromCkl for STIG Viewer 2 ``.ckl``), run by
tests/clients/stig_manager.mjs from .build/clients (make setup). The expected benchmark ID and
rule IDs come from the committed verbatim excerpts of DISA's XCCDF files (tests/fixtures/disa/,
ComplianceAsCode/content shared/references/), the expected revision from the release each
profile's title in data/profiles.yml claims, the results from report.json through the map below,
never from the catalog or the renderers under test."""
import glob
import json
import os
import re
import socket
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from sandbox import ROOT, make_fleet, playbook

CLIENTS = os.environ.get("AUDITKIT_CLIENTS", os.path.join(ROOT, ".build", "clients"))
PARSER = os.path.join(ROOT, "tests", "clients", "stig_manager.mjs")
DISA = os.path.join(ROOT, "tests", "fixtures", "disa")
XCCDF = "{http://checklists.nist.gov/xccdf/1.1}"
# DISA's file of each profile's STIG (the release its title claims; AL2023: V1R1, see docs/profiles.md)
DISA_FILE = {
    "stig_al2023": "disa-stig-al2023-v1r1-xccdf-manual.excerpt.xml",
    "stig_rhel10": "disa-stig-rhel10-v1r2-xccdf-manual.excerpt.xml",
    "stig_rhel9": "disa-stig-rhel9-v2r9-xccdf-manual.excerpt.xml",
    "stig_rhel8": "disa-stig-rhel8-v2r8-xccdf-manual.excerpt.xml",
    "stig_rhel7": "disa-stig-rhel7-v3r14-xccdf-manual.excerpt.xml",
    "stig_ol9": "disa-stig-ol9-v1r6-xccdf-manual.excerpt.xml",
    "stig_ol8": "disa-stig-ol8-v2r9-xccdf-manual.excerpt.xml",
    "stig_ubuntu2204": "disa-stig-ubuntu2204-v2r8-xccdf-manual.excerpt.xml",
    "stig_ubuntu2004": "disa-stig-ubuntu2004-v1r12-xccdf-manual.excerpt.xml",
    "stig_sle15": "disa-stig-sle15-v2r7-xccdf-manual.excerpt.xml",
}
# STIG profiles whose DISA XCCDF is not public (docs/profiles.md): no benchmark ID to claim, no checklist
WITHOUT_DISA_XCCDF = ("stig_alma9", "stig_ubuntu2404")
# What STIG Manager must import for each report status (docs/reports.md): written here, not
# imported. Unreviewed rows carry finding details (the error), which STIG Manager's default
# unreviewedCommented option imports as informational.
STIG_MANAGER_RESULT = {"pass": "pass", "fail": "fail", "waived": "fail", "not_applicable": "notapplicable",
                       "error": "informational", "unreachable": "informational"}
# A pass the STIG's check as written did not see is not reviewed (docs/reports.md): the check reads
# the kernel (auditctl -l) and the host was judged on disk only, or it reads the compiled
# /etc/audit/audit.rules and that file is stale or missing. Both read from DISA's check text and
# report.json's facts (kernel_read, findings); the sandbox never reads the shared kernel.
COMPILED_NOT_CURRENT = ("compiled_stale", "compiled_missing")
WAIVERS = {"V-258195": "kmod executions are covered by the site EDR (ticket SEC-42)"}

pytestmark = pytest.mark.skipif(not os.path.isdir(os.path.join(CLIENTS, "node_modules", "@nuwcdivnpt")),
                                reason="npm clients not installed in %s (make setup)" % CLIENTS)


def _required_lines(profile, which=None):
    """The rule lines the catalog quotes from the profile's benchmark: the fleet's input."""
    with open(os.path.join(ROOT, "data", "controls.yml")) as handle:
        controls = dict((c["id"], c) for c in yaml.safe_load(handle)["controls"])
    ids = _profiles()[profile]["controls"]
    picked = ids if which is None else [ids[i] for i in which]
    return "".join(line.split(" #")[0].replace("<UID_MIN>", "1000") + "\n"
                   for c in picked for line in controls[c]["required_rule_lines"])


def _profiles():
    with open(os.path.join(ROOT, "data", "profiles.yml")) as handle:
        return yaml.safe_load(handle)["profiles"]


def test_every_bundled_stig_profile_is_in_the_fleet():
    assert sorted(p for p in _profiles() if p.startswith("stig_")) == sorted(list(DISA_FILE) + list(WITHOUT_DISA_XCCDF))


def _hosts():
    def host(profile, which=None, **extra):
        files = {"30-stig.rules": _required_lines(profile, which)} if which != [] else {}
        return {"files": files, "vars": dict({"auditkit_profile": profile}, **extra)}
    return {
        "al2023-pass": host("stig_al2023"),
        "rhel10-pass": host("stig_rhel10"),
        "rhel9-waived": host("stig_rhel9", [0]),  # V-258190 fails, V-258195 fails and is waived
        "rhel8-partial": host("stig_rhel8", [0]),
        "rhel7-aarch64": host("stig_rhel7", [1, 2, 3], auditkit_arch="aarch64"),  # create_module: not there
        "ol9-empty": host("stig_ol9", []),
        "ol8-pass": host("stig_ol8"),
        "ubuntu2204-partial": host("stig_ubuntu2204", [0, 1]),
        "ubuntu2004-partial": host("stig_ubuntu2004", [0]),
        "sle15-pass": host("stig_sle15"),
        "alma9-pass": host("stig_alma9"),
        "ubuntu2404-empty": host("stig_ubuntu2404", []),
        "cis-rhel9": {"files": {}, "vars": {"auditkit_profile": "cis_rhel9"}},
        "ol8-noaudit": {"vars": {"auditkit_profile": "stig_ol8", "auditkit_rules_dir": "/nonexistent/rules.d"}},
        "rhel9-down": {"vars": {"auditkit_profile": "stig_rhel9", "ansible_host": "127.0.0.1", "ansible_port": 1,
                                "ansible_connection": "ssh", "ansible_ssh_timeout": 3}},
    }


def _disa(profile):
    """(Benchmark id, 'VnRm' from DISA's version and release-info, {V-id: rule id}) of DISA's file."""
    root = ET.parse(os.path.join(DISA, DISA_FILE[profile])).getroot()
    release = next(p.text for p in root.findall(XCCDF + "plain-text") if p.get("id") == "release-info")
    revision = "V%sR%s" % (root.find(XCCDF + "version").text, re.match(r"Release: (\d+) ", release).group(1))
    check_content = "%sRule/%scheck/%scheck-content" % (XCCDF, XCCDF, XCCDF)
    rules = dict((g.get("id"), (g.find(XCCDF + "Rule").get("id"), g.find(check_content).text))
                 for g in root.findall(XCCDF + "Group"))
    return root.get("id"), revision, rules


def _expected_result(control, host, check):
    """What STIG Manager must import for one report row, given DISA's check text."""
    if control["status"] == "pass":
        disk_only = "auditctl -l" in check and control.get("kernel_read") is False
        stale = any(f.get("kind") in COMPILED_NOT_CURRENT for f in host.get("findings") or [])
        if disk_only or ("auditctl -l" not in check and "/etc/audit/audit.rules" in check and stale):
            return "informational"  # not reviewed, with the reason in the finding details
    return STIG_MANAGER_RESULT[control["status"]]


def _parse(function, files):
    done = subprocess.run(["node", PARSER, function] + files, env=dict(os.environ, AUDITKIT_CLIENTS=CLIENTS),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, check=False)
    assert done.returncode == 0, done.stderr
    return dict((os.path.basename(entry["file"]), entry) for entry in json.loads(done.stdout))


@pytest.fixture(scope="module")
def drift(tmp_path_factory):
    root = tmp_path_factory.mktemp("checklists")
    hosts = _hosts()
    for name, spec in hosts.items():
        spec["vars"].setdefault("auditkit_compiled_file", str(root / name / "audit.rules"))
    fleet = make_fleet(root, hosts)
    # RHEL 7's checks read the compiled /etc/audit/audit.rules: a current one (what augenrules builds
    # from the one rules file) keeps its passes reviewed, the only passes a sandbox can show
    (root / "rhel7-aarch64" / "audit.rules").write_text(hosts["rhel7-aarch64"]["files"]["30-stig.rules"])
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(root / "report"), auditkit_waivers=WAIVERS,
                   auditkit_report_formats=["json", "cklb", "ckl"], auditkit_report_facts=True)
    assert run.returncode == 4, run.stdout  # after the report the errored host fails and the unreachable one ends unreachable: rc 4
    with open(str(root / "report" / "report.json")) as handle:
        report = json.load(handle)
    return root / "report", report, hosts


def _checks(report, hosts, parsed, suffix):
    """Every host with STIG controls has its file, read by STIG Manager as report.json says."""
    seen = set()
    for host in report["hosts"]:
        profile = hosts[host["name"]]["vars"]["auditkit_profile"]
        name = host["name"] + suffix
        if profile not in DISA_FILE or not host["controls"]:
            assert name not in parsed  # CIS, a STIG without a public DISA XCCDF, or no controls
            continue
        entry = parsed[name]
        assert "error" not in entry, entry
        assert entry["target"]["name"] == host["name"]
        benchmark_id, revision, rules = _disa(profile)
        claimed = "V%sR%s" % re.search(r"\(V(\d+)R(\d+)", _profiles()[profile]["title"]).groups()
        assert [(c["benchmarkId"], c["revisionStr"]) for c in entry["checklists"]] == [(benchmark_id, revision)]
        assert revision == claimed
        reviews = dict((r["ruleId"], r["result"]) for r in entry["checklists"][0]["reviews"])
        assert reviews == dict((rules[c["id"]][0], _expected_result(c, host, rules[c["id"]][1]))
                               for c in host["controls"])
        seen.update(c["status"] for c in host["controls"])
    return seen


@pytest.mark.parametrize("function,suffix", [("reviewsFromCklb", ".cklb"), ("reviewsFromCkl", ".ckl")])
def test_stig_manager_reads_every_checklist_with_disas_benchmark_revision_and_the_reports_results(
        drift, function, suffix):
    report_dir, report, hosts = drift
    files = sorted(glob.glob(str(report_dir / ("*" + suffix))))
    parsed = _parse(function, files)
    assert sorted(parsed) == sorted(os.path.basename(f) for f in files)
    seen = _checks(report, hosts, parsed, suffix)
    assert {"pass", "fail", "waived", "not_applicable"} <= seen, seen
    results = set(r["result"] for e in parsed.values() for c in e["checklists"] for r in c["reviews"])
    assert {"pass", "fail", "notapplicable", "informational"} <= results, results
    # hosts that could not be judged are checklisted when the report lists their controls
    unjudged = [h for h in report["hosts"] if h["status"] in ("error", "unreachable") and h["controls"]]
    assert all(h["name"] + suffix in parsed for h in unjudged)


def test_checklist_targets_carry_the_gathered_facts(drift):
    report_dir, report, _hosts_ = drift
    with open(str(report_dir / "al2023-pass.cklb")) as handle:
        target = json.load(handle)["target_data"]
    assert target["fqdn"] == socket.getfqdn()  # what the setup module reads for a local host
    assert re.match(r"^\d+\.\d+\.\d+\.\d+$", target["ip_address"]) and target["mac_address"].count(":") == 5
    ckl = ET.parse(str(report_dir / "al2023-pass.ckl")).getroot()
    assert (ckl.findtext("ASSET/HOST_IP"), ckl.findtext("ASSET/HOST_FQDN"), ckl.findtext("ASSET/HOST_MAC")) == (
        target["ip_address"], target["fqdn"], target["mac_address"])
    down = next(h for h in report["hosts"] if h["name"] == "rhel9-down")
    assert down["status"] == "unreachable"
    assert down["target"] == {"ip_address": "", "fqdn": "", "mac_address": ""}  # no facts from a host never reached
