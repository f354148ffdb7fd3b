# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/audit_report_results.py (XCCDF 1.2 results, HDF) on a fleet built from real
audit_rules_info results: a failing STIG host with one control waived, a CIS host, an unreachable
host and a failed host whose inventory name is hostile to XML and JSON. Read back with
ElementTree, json and OpenSCAP (Debian's oscap); the ansible-playbook path and the real clients
(STIG Manager's parser, Heimdall Lite) are in tests/integration/test_auditor_clients.py."""
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import jsonschema
import pytest
import yaml

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_results as RS
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
NS = "{http://checklists.nist.gov/xccdf/1.2}"
HOSTILE = 'db]]>"<x>" & \'co\'\x01'


@pytest.fixture
def report(run_module, rules_tree):
    stig = run_module(audit_rules_info, **rules_tree.args(profile="stig_rhel9", loaded=False))
    cis = run_module(audit_rules_info, **rules_tree.args(profile="cis_rhel9", loaded=False))
    results = {"bad": stig, "cis": cis, "down": {"unreachable": True, "msg": "ssh: no route"},
               HOSTILE: {"failed": True, "msg": "a <b>bold</b> & ]]> failure"}}
    return RD.build_report(results, hosts=["bad", "cis", "down", HOSTILE], waivers={"V-258195": "ticket <42>"},
                           generated_at="2026-12-04T00:00:00Z",
                           inventory_profiles={"down": "stig_rhel9", HOSTILE: "stig_rhel9"})


def _files(report):
    """{file name: text}, each per-host text rendered when read (as the writer reads it)."""
    files = RD.render_files(report, ["xccdf", "hdf"], None)
    return dict((name, files[name]) for name in files)


def test_one_xccdf_per_stig_host_and_one_hdf_per_host(report):
    names = sorted(_files(report))
    safe = RD.safe_name(HOSTILE)
    assert names == sorted(["bad.xccdf.xml", "down.xccdf.xml", safe + ".xccdf.xml",
                            "bad.hdf.json", "cis.hdf.json", "down.hdf.json", safe + ".hdf.json"])


def test_xccdf_results_map_every_status(report):
    files = _files(report)
    root = ET.fromstring(files["bad.xccdf.xml"].encode("utf-8"))
    assert root.get("id") == "xccdf_mil.disa.stig_benchmark_RHEL_9_STIG"
    results = dict((r.get("idref"), r.find(NS + "result").text) for r in root.iter(NS + "rule-result"))
    assert results == {"xccdf_mil.disa.stig_rule_SV-258189r1155607_rule": "fail",
                       "xccdf_mil.disa.stig_rule_SV-258190r1155609_rule": "fail",
                       "xccdf_mil.disa.stig_rule_SV-258195r1045370_rule": "fail"}  # waived: still a failing check
    waived = [r for r in root.iter(NS + "rule-result") if r.get("idref").endswith("SV-258195r1045370_rule")][0]
    assert "Waived: ticket <42>" in waived.find(NS + "message").text
    down = ET.fromstring(files["down.xccdf.xml"].encode("utf-8"))
    assert set(r.find(NS + "result").text for r in down.iter(NS + "rule-result")) == {"notchecked"}
    hostile = ET.fromstring(files[RD.safe_name(HOSTILE) + ".xccdf.xml"].encode("utf-8"))
    assert hostile.find(NS + "TestResult/" + NS + "target").text == HOSTILE.replace("\x01", "")
    assert set(r.find(NS + "result").text for r in hostile.iter(NS + "rule-result")) == {"error"}


@pytest.mark.skipif(not shutil.which("oscap"), reason="oscap is not installed (scripts/setup.sh installs it)")
def test_oscap_validates_the_hostile_hosts_xccdf(report, tmp_path):
    path = tmp_path / "hostile.xccdf.xml"
    path.write_text(_files(report)[RD.safe_name(HOSTILE) + ".xccdf.xml"])
    done = subprocess.run(["oscap", "xccdf", "validate", str(path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, check=False)
    assert done.returncode == 0, done.stdout


def test_hdf_results_waivers_and_tags(report):
    files = _files(report)
    with open(os.path.join(ROOT, "schemas", "hdf.schema.json")) as handle:
        schema = json.load(handle)
    for name in (n for n in files if n.endswith(".hdf.json")):
        jsonschema.validate(json.loads(files[name]), schema)
    bad = json.loads(files["bad.hdf.json"])
    (profile,) = bad["profiles"]
    assert profile["name"] == "RHEL_9_STIG" and bad["platform"]["target_id"] == "bad"
    controls = dict((c["id"], c) for c in profile["controls"])
    assert [r["status"] for c in profile["controls"] for r in c["results"]] == ["failed"] * 3
    assert controls["V-258195"]["waiver_data"]["justification"] == "ticket <42>"
    assert controls["V-258195"]["waiver_data"]["skipped_due_to_waiver"] is False
    assert "waiver_data" not in controls["V-258189"]
    # DISA's CCI list maps CCI-000172 to AU-12 c (both revisions); the control names CCI-000172
    assert "CCI-000172" in controls["V-258189"]["tags"]["cci"] and "AU-12 c" in controls["V-258189"]["tags"]["nist"]
    down = json.loads(files["down.hdf.json"])
    assert down["platform"] == {"name": "rhel", "release": "9", "target_id": "down"}  # its controls' profile's OS
    assert set(r["status"] for c in down["profiles"][0]["controls"] for r in c["results"]) == {"skipped"}
    hostile = json.loads(files[RD.safe_name(HOSTILE) + ".hdf.json"])
    assert hostile["platform"]["target_id"] == HOSTILE
    assert set(r["status"] for c in hostile["profiles"][0]["controls"] for r in c["results"]) == {"error"}
    cis = json.loads(files["cis.hdf.json"])
    assert cis["profiles"][0]["controls"][0]["tags"]["cci"] == []


def test_test_system_names_the_collections_version():
    with open(os.path.join(ROOT, "galaxy.yml")) as handle:
        assert RS.VERSION == yaml.safe_load(handle)["version"]


def test_a_failure_a_remediate_run_fixed_is_fixed(report, tmp_path):
    """A remediation record (kind remediation) holds each control's verdict before the run."""
    bad = next(h for h in report["hosts"] if h["name"] == "bad")
    fixed = dict(bad["controls"][0], status="pass", original_status="pass", remediation={
        "before": "fail", "after": "pass", "before_reason": "", "lines": [
            {"action": "add", "file": "/etc/audit/rules.d/audit.rules", "line": "-a always,exit -S delete_module"}]})
    kept = dict(bad["controls"][1], status="pass", remediation={"before": "pass", "after": "pass", "lines": []})
    text = RS.render_xccdf(dict(report, kind="remediation"), dict(bad, controls=[fixed, kept]))
    root = ET.fromstring(text.encode("utf-8"))
    assert [r.find(NS + "result").text for r in root.iter(NS + "rule-result")] == ["fixed", "pass"]
    assert "add /etc/audit/rules.d/audit.rules: -a always,exit -S delete_module" in text
    if shutil.which("oscap"):
        path = tmp_path / "fixed.xccdf.xml"
        path.write_text(text)
        done = subprocess.run(["oscap", "xccdf", "validate", str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, universal_newlines=True, check=False)
        assert done.returncode == 0, done.stdout
