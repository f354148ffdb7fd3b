# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report renderers of module_utils/audit_report_document.py (Markdown, CSV, JUnit, CKLB) and
audit_report_html.py, on one fleet built from real audit_rules / audit_rules_info results:
a compliant host, a failing host with one control waived, an unreachable host and a failed
host whose inventory name is hostile to every format (| = < > & quotes). Each format is read
back by its own parser (csv, ElementTree, json, html.parser), not by searching our own text."""
import csv
import html
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import jsonschema
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_checklists as CK
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_report_document as RD
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_report_html import render_html
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
PROFILE = "stig_rhel9"
HOSTILE = '=cmd|"<script>alert(1)</script>" & co'

DISA_FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "..", "fixtures", "disa")


@pytest.fixture
def fleet(run_module, rules_tree, tmp_path):
    """(report, per-host results) of the fleet described in the module docstring."""
    failing = run_module(audit_rules_info, **rules_tree.args(profile=PROFILE, loaded=False))
    compliant_tree = tmp_path / "compliant.d"
    compliant_tree.mkdir()
    compliant_args = dict(rules_dir=str(compliant_tree), compiled_file=str(tmp_path / "compliant.rules"),
                          arch="x86_64", profile=PROFILE)
    written = run_module(audit_rules, dest=str(compliant_tree / "audit.rules"), **compliant_args)
    assert written["changed"], written
    compliant = run_module(audit_rules_info, loaded=False, **compliant_args)
    assert [c["status"] for c in compliant["controls"]] == ["pass"] * len(compliant["controls"])
    waived = failing["controls"][0]["id"]
    results = {"ok": compliant, "bad": failing, "down": {"unreachable": True, "msg": "ssh: no route"},
               HOSTILE: {"failed": True, "msg": "a <b>bold</b> & | failure"}}
    report = RD.build_report(results, hosts=["ok", "bad", "down", HOSTILE], waivers={waived: "ticket <42>"},
                             generated_at="2026-12-03T00:00:00Z")
    return report


def _rows(report):
    return [(host, control) for host in report["hosts"] for control in RD.rows(host)]


def test_fleet_has_every_status_the_renderers_branch_on(fleet):
    statuses = dict((h["name"], h["status"]) for h in fleet["hosts"])
    assert statuses == {"ok": "pass", "bad": "fail", "down": "unreachable", HOSTILE: "error"}
    bad = next(h for h in fleet["hosts"] if h["name"] == "bad")
    assert [c["status"] for c in bad["controls"]] == ["waived"] + ["fail"] * (len(bad["controls"]) - 1)


# --- Markdown -----------------------------------------------------------------------------------

def _markdown_tables(text):
    """Each Markdown table as a list of rows of cells (an escaped \\| stays inside its cell; the
    entities &amp; &lt; &gt; as a renderer shows them)."""
    tables, current = [], None
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in line.strip("|").replace("\\|", "\0").split("|")]
            cells = [html.unescape(c.replace("\0", "|")) for c in cells]
            if current is None:
                current = []
                tables.append(current)
            if not set("".join(cells)) <= set("-"):
                current.append(cells)
        else:
            current = None
    return tables


def test_markdown_tables_keep_their_columns_whatever_the_host_name(fleet):
    matrix, counts, details = _markdown_tables(RD.render_markdown(fleet))
    ids = [c["id"] for c in fleet["controls"]]
    assert matrix[0] == ["Host", "Status"] + ids + ["Warnings"]
    assert [row[0] for row in matrix[1:]] == ["ok", "bad", "down", HOSTILE]
    assert all(len(row) == len(matrix[0]) for row in matrix)
    assert dict((row[0], int(row[1])) for row in counts[1:]) == fleet["summary"]["controls"]
    assert details[0] == ["Host", "Control", "Status", "Reason"]
    assert len(details) - 1 == len(_rows(fleet))
    assert all(len(row) == 4 for row in details)
    hostile = [row for row in details if row[0] == HOSTILE]
    assert hostile and all(row[3] == "a <b>bold</b> & | failure" for row in hostile)
    waived = [row for row in details if row[2] == "waived"]
    assert len(waived) == 1 and waived[0][3].startswith("waived: ticket <42> [waiver for host bad (auditkit_waivers key ")


def test_markdown_of_a_dry_run_says_nothing_was_written_and_adds_the_planned_column(fleet):
    dry = RD.assemble_report(fleet["hosts"], fleet["controls"], "remediate_check", {}, generated_at=None)
    text = RD.render_markdown(dry)
    assert "Check mode: nothing was written." in text
    assert _markdown_tables(text)[2][0][-1] == "Planned (not applied)"
    assert "Check mode" not in RD.render_markdown(fleet)


# --- CSV ----------------------------------------------------------------------------------------

def test_csv_has_one_row_per_host_control_and_no_cell_a_spreadsheet_would_evaluate(fleet):
    table = list(csv.reader(io.StringIO(RD.render_csv(fleet))))
    assert tuple(table[0]) == RD.CSV_HEADER
    assert len(table) - 1 == len(_rows(fleet))
    assert all(len(row) == len(RD.CSV_HEADER) for row in table)
    for row in table[1:]:
        for cell in row:
            assert not cell.startswith(RD.FORMULA_STARTS), cell
    hostile = [dict(zip(RD.CSV_HEADER, row)) for row in table[1:] if row[0] == "'" + HOSTILE]
    assert hostile and all(r["host_status"] == "error" for r in hostile)
    missing = [dict(zip(RD.CSV_HEADER, row))["missing"] for row in table[1:] if row[0] == "bad"]
    assert any(m.startswith("'-a ") or m.startswith("'-w ") for m in missing)  # rule lines start with -


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_safe_neutralises_each_formula_start(text):
    assert RD.csv_safe(text) == "'" + text


@pytest.mark.parametrize("value, expected", [(None, ""), (3, "3"), ("a=b", "a=b"), ("'quoted", "'quoted")])
def test_csv_safe_leaves_other_values_as_text(value, expected):
    assert RD.csv_safe(value) == expected


# --- JUnit --------------------------------------------------------------------------------------

def test_junit_counts_match_the_testcases_the_xml_holds(fleet):
    suite = ET.fromstring(RD.render_junit(fleet).encode("utf-8")).find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases) == len(_rows(fleet))
    for tag, attribute in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
        assert int(suite.get(attribute)) == sum(1 for case in cases if case.find(tag) is not None), tag
    summary = fleet["summary"]["controls"]
    assert int(suite.get("failures")) == summary["fail"]
    assert int(suite.get("errors")) == summary["error"] + summary["unreachable"]
    assert int(suite.get("skipped")) == summary["waived"] + summary["not_applicable"]
    assert suite.get("name") == fleet["title"] and suite.get("timestamp") == "2026-12-03T00:00:00Z"
    hostile = [case for case in cases if case.get("classname") == HOSTILE]
    assert hostile and all(case.find("error").get("message") == "error: a <b>bold</b> & | failure" for case in hostile)
    failed = [case for case in cases if case.find("failure") is not None]
    assert all(case.find("failure").text for case in failed)  # the missing lines


# --- CKLB (STIG Viewer 3) -----------------------------------------------------------------------

def test_cklb_one_checklist_per_judged_host_with_stable_ids(fleet):
    hosts = dict((h["name"], h) for h in fleet["hosts"])
    ok = json.loads(RD.render_cklb(fleet, hosts["ok"]))
    bad = json.loads(RD.render_cklb(fleet, hosts["bad"]))
    assert ok == json.loads(RD.render_cklb(fleet, hosts["ok"]))  # deterministic
    for document, host in ((ok, hosts["ok"]), (bad, hosts["bad"])):
        stig = document["stigs"][0]
        assert len(document["stigs"]) == 1 and stig["size"] == len(stig["rules"]) == len(host["controls"])
        assert document["target_data"]["host_name"] == host["name"]
        assert all(rule["stig_uuid"] == stig["uuid"] for rule in stig["rules"])
        assert all(rule["rule_version"].startswith("RHEL-09-") for rule in stig["rules"])
        assert all(rule["severity"] in ("low", "medium", "high") for rule in stig["rules"])
    # judged with loaded=False: a pass on disk only is not the STIG check (auditctl -l) as written
    assert [r["status"] for r in ok["stigs"][0]["rules"]] == ["not_reviewed"] * len(hosts["ok"]["controls"])
    assert all("on disk; kernel not read" in r["finding_details"] for r in ok["stigs"][0]["rules"])
    assert [r["status"] for r in bad["stigs"][0]["rules"]] == ["open"] * len(hosts["bad"]["controls"])
    assert bad["stigs"][0]["rules"][0]["comments"].startswith("Waived: ticket <42>")
    assert ok["id"] != bad["id"] and ok["stigs"][0]["uuid"] != bad["stigs"][0]["uuid"]
    assert set(r["uuid"] for r in ok["stigs"][0]["rules"]).isdisjoint(r["uuid"] for r in bad["stigs"][0]["rules"])
    unjudged = json.loads(RD.render_cklb(fleet, hosts["down"]))
    assert set(r["status"] for r in unjudged["stigs"][0]["rules"]) == {"not_reviewed"}
    with open(os.path.join(ROOT, "schemas", "cklb.schema.json")) as handle:
        schema = json.load(handle)  # the keys and types STIG Viewer 3 reads, nothing else
    for document in (ok, bad, unjudged):
        jsonschema.validate(document, schema)


def test_render_files_names_one_checklist_per_host_with_a_safe_file_name(fleet):
    files = RD.render_files(fleet, RD.FORMATS, render_html)
    checklists = sorted(name for name in files if name.endswith((".cklb", ".ckl")))
    assert checklists == sorted(RD.safe_name(h) + suffix for h in ("ok", "bad", "down", HOSTILE)
                                for suffix in (".cklb", ".ckl"))
    assert all("/" not in name and not name.startswith(".") for name in checklists)
    results = [name for name in files if name.endswith((".xccdf.xml", ".hdf.json"))]  # test_audit_report_results.py
    fleet_files = set(files) - set(checklists) - set(results)
    assert fleet_files == {"report.json", "summary.md", "junit.xml", "report.csv", "report.html"}
    assert json.loads(files["report.json"]) == json.loads(RD.render_json(fleet))


def _disa_group(excerpt, group_id):
    """DISA's Group of one rule in the verbatim excerpt of DISA's XCCDF (tests/fixtures/disa)."""
    ns = {"x": "http://checklists.nist.gov/xccdf/1.1"}
    root = ET.parse(os.path.join(DISA_FIXTURES, excerpt)).getroot()
    group = next(g for g in root.findall("x:Group", ns) if g.get("id") == group_id)
    rule = group.find("x:Rule", ns)
    discussion = re.search(r"<VulnDiscussion>(.*?)</VulnDiscussion>", rule.find("x:description", ns).text, re.S)
    return root, {"rule_id": rule.get("id"), "group_title": group.find("x:title", ns).text,
                  "discussion": discussion.group(1), "check_content": rule.find("x:check/x:check-content", ns).text,
                  "fix_text": rule.find("x:fixtext", ns).text, "severity": rule.get("severity"),
                  "weight": rule.get("weight"), "rule_version": rule.find("x:version", ns).text,
                  "ccis": [i.text for i in rule.findall("x:ident", ns) if i.get("system") == "http://cyber.mil/cci"]}


def test_cklb_carries_disa_benchmark_identity_and_rule_fields_from_disas_xccdf(fleet):
    hosts = dict((h["name"], h) for h in fleet["hosts"])
    document = json.loads(RD.render_cklb(fleet, hosts["bad"]))
    stig = document["stigs"][0]
    root, _group = _disa_group("disa-stig-rhel9-v2r9-xccdf-manual.excerpt.xml", "V-258189")
    assert stig["stig_id"] == root.get("id") == "RHEL_9_STIG"
    assert stig["version"] == 2 and isinstance(stig["version"], int)
    assert stig["release_info"] == "Release: 9 Benchmark Date: 01 Jul 2026"
    for rule in stig["rules"]:
        _root, disa = _disa_group("disa-stig-rhel9-v2r9-xccdf-manual.excerpt.xml", rule["group_id"])
        assert rule["rule_id_src"] == disa["rule_id"] and rule["rule_id"] + "_rule" == disa["rule_id"]
        for field in ("group_title", "discussion", "check_content", "fix_text", "severity", "weight",
                      "rule_version", "ccis"):
            assert rule[field] == disa[field], field
    assert document["target_data"]["ip_address"] == document["target_data"]["fqdn"] == ""


def test_ckl_is_stig_viewer_2_xml_with_the_cklb_content(fleet):
    hosts = dict((h["name"], h) for h in fleet["hosts"])
    for name in ("ok", "bad", "down", HOSTILE):
        cklb = json.loads(RD.render_cklb(fleet, hosts[name]))
        ckl = ET.fromstring(RD.render_ckl(fleet, hosts[name]).encode("utf-8"))
        assert ckl.find("ASSET/HOST_NAME").text == name
        info = dict((d.find("SID_NAME").text, d.findtext("SID_DATA")) for d in ckl.iter("SI_DATA"))
        stig = cklb["stigs"][0]
        assert (info["stigid"], info["version"], info["releaseinfo"]) == (
            stig["stig_id"], str(stig["version"]), stig["release_info"])
        vulns = ckl.findall("STIGS/iSTIG/VULN")
        data = [dict((d.findtext("VULN_ATTRIBUTE"), d.findtext("ATTRIBUTE_DATA") or "") for d in v.findall("STIG_DATA"))
                for v in vulns]
        assert [d["Rule_ID"] for d in data] == [r["rule_id_src"] for r in stig["rules"]]
        assert [d["Vuln_Discuss"] for d in data] == [r["discussion"] for r in stig["rules"]]
        statuses = {"not_a_finding": "NotAFinding", "open": "Open", "not_applicable": "Not_Applicable",
                    "not_reviewed": "Not_Reviewed"}
        assert [v.findtext("STATUS") for v in vulns] == [statuses[r["status"]] for r in stig["rules"]]
        assert [v.findtext("FINDING_DETAILS") for v in vulns] == [r["finding_details"] for r in stig["rules"]]


def test_checklist_target_from_facts_and_none_for_cis_hosts():
    facts = {"default_ipv4": {"address": "192.0.2.7", "macaddress": "52:54:00:12:34:56"}, "fqdn": "web1.example"}
    assert CK.target_of(facts) == {"ip_address": "192.0.2.7", "fqdn": "web1.example", "mac_address": "52:54:00:12:34:56"}
    assert CK.target_of({}) == CK.target_of(None) == {"ip_address": "", "fqdn": "", "mac_address": ""}
    cis = RD.build_report({"h": {"profile": {"name": "cis_rhel9"}, "controls": [
        {"id": "CIS 6.3.3.19", "catalog_id": "cis:rhel9:2.0.0:6.3.3.19", "status": "fail", "reason": "missing"}]}},
        targets={"h": CK.target_of(facts)})
    assert cis["hosts"][0]["target"]["fqdn"] == "web1.example"
    assert RD.render_cklb(cis, cis["hosts"][0]) is None and RD.render_ckl(cis, cis["hosts"][0]) is None


# --- HTML ---------------------------------------------------------------------------------------

class _Page(HTMLParser):
    """Tags, attributes and text as a browser's parser sees them."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.tags, self.text, self.text_after = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)
        self.text_after.append((self.tags[-1][0] if self.tags else None, data))


def _page(report):
    page = _Page()
    page.feed(render_html(report))
    page.close()
    return page


def test_html_escapes_every_host_name_reason_and_waiver(fleet):
    page = _page(fleet)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert len(scripts) == 1  # only the page's own filter script, none from the host name
    assert ("b", "bold") not in page.text_after  # the reason's <b> stays text
    text = "".join(page.text)
    assert HOSTILE in text and "a <b>bold</b> & | failure" in text and "ticket <42>" in text
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-host" in attrs]
    assert len(rows) == len(_rows(fleet))
    hostile_rows = sum(1 for host, _control in _rows(fleet) if host["name"] == HOSTILE)
    assert [attrs["data-host"] for attrs in rows].count(HOSTILE) == hostile_rows
    matrix_hosts = [attrs["data-matrix-host"] for tag, attrs in page.tags if "data-matrix-host" in attrs]
    assert matrix_hosts == ["ok", "bad", "down", HOSTILE]


def test_html_counts_and_chart_agree_with_the_summary(fleet):
    page = _page(fleet)
    ids = dict((attrs["id"], None) for tag, attrs in page.tags if attrs.get("id"))
    assert set("count-%s" % s for s in RD.STATUSES) <= set(ids)
    rects = [attrs for tag, attrs in page.tags if tag == "rect" and attrs.get("class") == "bar"]
    for status in RD.STATUSES:
        in_chart = sum(int(rect["data-count"]) for rect in rects if rect["data-status"] == status)
        assert in_chart == fleet["summary"]["controls"][status], status
    assert "dry-run" not in ids
    dry = RD.assemble_report(fleet["hosts"], fleet["controls"], "remediate_check", {}, generated_at=None)
    assert "dry-run" in set(attrs.get("id") for tag, attrs in _page(dry).tags)


# --- one unreachable host is drift; evidence is text ------------------------------------------------

def _compliant_result(run_module, tmp_path, rewrite=None):
    """audit_rules_info of a tree audit_rules wrote for PROFILE; rewrite(text) edits the file first."""
    tree = tmp_path / "compliant.d"
    tree.mkdir()
    args = dict(rules_dir=str(tree), compiled_file=str(tmp_path / "compliant.rules"), arch="x86_64", profile=PROFILE)
    assert run_module(audit_rules, dest=str(tree / "audit.rules"), **args)["changed"]
    if rewrite:
        (tree / "audit.rules").write_text(rewrite((tree / "audit.rules").read_text()))
    return run_module(audit_rules_info, loaded=False, **args)


def test_one_unreachable_host_in_a_passing_fleet_is_drift(run_module, tmp_path):
    compliant = _compliant_result(run_module, tmp_path)
    assert not RD.drift(RD.build_report({"ok": compliant}, generated_at=None))
    report = RD.build_report({"ok": compliant, "down": {"unreachable": True, "msg": "ssh: no route"}},
                             hosts=["ok", "down"], generated_at=None)
    assert [h["status"] for h in report["hosts"]] == ["pass", "unreachable"]
    assert RD.drift(report)


def test_html_escapes_evidence(run_module, tmp_path):
    script = "<script>alert(1)</script>"
    # the kmod rule keeps covering its control (any key does) and is quoted as its evidence
    compliant = _compliant_result(run_module, tmp_path, lambda text: text.replace("-k modules", "-k " + script))
    report = RD.build_report({"ok": compliant}, generated_at=None)
    evidence = [e["text"] for c in report["hosts"][0]["controls"] for e in c["evidence"]]
    assert any(script in text for text in evidence), evidence
    page = _page(report)
    assert len([tag for tag, _attrs in page.tags if tag == "script"]) == 1  # the page's own filter script
    assert any(script in data for _tag, data in page.text_after)


def test_html_chart_bars_stack_inside_the_image_one_row_per_control(fleet):
    page = _page(fleet)
    svg = next(attrs for tag, attrs in page.tags if tag == "svg")
    width, height = float(svg["width"]), float(svg["height"])
    rects = [attrs for tag, attrs in page.tags if tag == "rect" and attrs.get("class") == "bar"]
    labels = [float(attrs["y"]) for tag, attrs in page.tags if tag == "text"]
    assert len(labels) == len(fleet["controls"])
    for meta in fleet["controls"]:
        bars = [r for r in rects if r["data-control"] == meta["id"]]
        assert len(set(r["y"] for r in bars)) == 1  # one row
        x = float(bars[0]["x"])
        for rect in bars:  # side by side, no gap, no overlap
            assert abs(float(rect["x"]) - x) < 0.2
            x += float(rect["width"])
        judged = sum(int(r["data-count"]) for r in bars)
        assert abs((x - float(bars[0]["x"])) - 400.0 * judged / len(fleet["hosts"])) < 0.5
        assert x <= width and float(bars[0]["y"]) + float(bars[0]["height"]) <= height
    assert all(0 < y <= height for y in labels)


def test_html_fix_and_evidence_blocks_hold_the_report_lines(fleet):
    page = _page(fleet)
    bad = next(h for h in fleet["hosts"] if h["name"] == "bad")
    failing = [c for c in bad["controls"] if c["status"] == "fail"][0]
    text = "".join(page.text)
    assert "Lines that would fix it:\n" + "\n".join(failing["missing"]) in text
    ok = next(h for h in fleet["hosts"] if h["name"] == "ok")
    shown = [c for c in ok["controls"] if c["evidence"]][0]
    assert "evidence (%d)" % len(shown["evidence"]) in text
    evidence = ["%s %s:%s %s" % (e["where"], e["file"], e["line"], e["text"]) for e in shown["evidence"]]
    assert all(item in page.text for item in evidence)  # one text node each, between <br> tags
