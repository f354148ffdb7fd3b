# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The auditors' own tools read what drift_report writes, on one mixed sandbox fleet (one
drift_report run through ansible-playbook, shared by every test here): a host per bundled
STIG profile, with passing, failing, waived and not applicable controls, a host without a
rules directory (error) and an unreachable one.

- OpenSCAP (Debian's oscap): ``oscap xccdf validate`` (XML Schema and Schematron) accepts every
  ``<host>.xccdf.xml`` and ``oscap xccdf generate report`` renders it.
- STIG Manager's parser (npm @nuwcdivnpt/stig-manager-client-modules, reviewsFromXccdf) reads
  every XCCDF file with the benchmark ID of DISA's XCCDF file, each rule ID and result of
  report.json. DISA's identity is judged from the committed excerpts of DISA's files
  (tests/fixtures/disa/), not from our catalog.
- Heimdall Lite (npm @mitre/heimdall-lite, its static build served on 127.0.0.1, in Debian's
  headless chromium driven by Playwright) loads every ``<host>.hdf.json`` and shows the counts
  report.json implies. AUDITKIT_UPDATE_SCREENSHOT=1 copies its screenshot to docs/report-heimdall.png.

The expected values come from report.json and from DISA's files through the maps below, never
from the renderers under test."""
import functools
import glob
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import xml.etree.ElementTree as ET

import pytest
import yaml

from sandbox import ROOT, make_fleet, playbook

CLIENTS = os.environ.get("AUDITKIT_CLIENTS", os.path.join(ROOT, ".build", "clients"))
HEIMDALL = os.path.join(CLIENTS, "node_modules", "@mitre", "heimdall-lite", "dist")
DISA_FILES = os.path.join(ROOT, "tests", "fixtures", "disa")
XCCDF_NS = "{http://checklists.nist.gov/xccdf/1.2}"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# What each client must show for our statuses (docs/reports.md): written here, not imported.
XCCDF_RESULT = {"pass": "pass", "fail": "fail", "waived": "fail", "not_applicable": "notapplicable",
                "error": "error", "unreachable": "notchecked"}
# reviewsFromXccdf imports error and notchecked as notchecked (importOptions.unreviewed 'always')
STIG_MANAGER_RESULT = dict(XCCDF_RESULT, error="notchecked")
HEIMDALL_COUNT = {"pass": "Passed", "fail": "Failed", "waived": "Failed", "not_applicable": "Not Applicable",
                  "unreachable": "Not Reviewed", "error": "Profile Error"}
WAIVERS = {"V-258195": "kmod executions are covered by the site EDR (ticket SEC-42)"}


def _required_lines(profile, which=None):
    """The rule lines the catalog quotes from the profile's benchmark: the fleet's input."""
    with open(os.path.join(ROOT, "data", "controls.yml")) as handle:
        controls = dict((c["id"], c) for c in yaml.safe_load(handle)["controls"])
    with open(os.path.join(ROOT, "data", "profiles.yml")) as handle:
        ids = yaml.safe_load(handle)["profiles"][profile]["controls"]
    picked = ids if which is None else [ids[i] for i in which]
    return "".join(line + "\n" for c in picked for line in controls[c]["required_rule_lines"])


def _fleet_hosts():
    def host(profile, which=None, **extra):
        files = {"30-stig.rules": _required_lines(profile, which)} if which != [] else {}
        return {"files": files, "vars": dict({"auditkit_profile": profile}, **extra)}
    with open(os.path.join(ROOT, "data", "profiles.yml")) as handle:
        stigs = sorted(p for p in yaml.safe_load(handle)["profiles"] if p.startswith("stig_"))
    special = {
        "al2023-pass": host("stig_al2023"),
        "rhel10-pass": host("stig_rhel10"),
        "rhel9-waived": host("stig_rhel9", [0]),  # V-258190 fails, V-258195 fails and is waived
        "rhel8-partial": host("stig_rhel8", [0]),
        "rhel7-aarch64": host("stig_rhel7", [1, 2, 3], auditkit_arch="aarch64"),  # create_module: none there
        "ol9-empty": host("stig_ol9", []),
        "ol8-pass": host("stig_ol8"),
        "ubuntu2204-partial": host("stig_ubuntu2204", [0, 1]),
        "ol8-noaudit": {"vars": {"auditkit_profile": "stig_ol8", "auditkit_rules_dir": "/nonexistent/rules.d"}},
        "rhel9-down": {"vars": {"auditkit_profile": "stig_rhel9", "ansible_host": "127.0.0.1", "ansible_port": 1,
                                "ansible_connection": "ssh", "ansible_ssh_timeout": 3}},
    }
    covered = set(spec["vars"]["auditkit_profile"] for spec in special.values())
    # every other bundled STIG profile: a compliant host
    special.update((p[len("stig_"):] + "-pass", host(p)) for p in stigs if p not in covered)
    return special


def _disa_profiles():
    """The profiles the catalog gives a DISA benchmark identity (a STIG without a public DISA
    XCCDF file has none, and gets no XCCDF results)."""
    with open(os.path.join(ROOT, "data", "disa_stig.yml")) as handle:
        return set(yaml.safe_load(handle)["benchmarks"])


@pytest.fixture(scope="module")
def drift(tmp_path_factory):
    """(report directory, report.json) of one drift_report run on the mixed fleet."""
    root = tmp_path_factory.mktemp("auditors")
    hosts = _fleet_hosts()
    for name, spec in hosts.items():
        spec["vars"].setdefault("auditkit_compiled_file", str(root / name / "audit.rules"))
    fleet = make_fleet(root, hosts)
    run = playbook(fleet, "drift_report", auditkit_report_dir=str(root / "report"), auditkit_waivers=WAIVERS)
    assert run.returncode == 4, run.stdout  # after the report the errored host fails and the unreachable one ends unreachable: rc 4
    with open(str(root / "report" / "report.json")) as handle:
        return root / "report", json.load(handle)


def _hosts(report):
    return dict((h["name"], h) for h in report["hosts"])


def test_the_fleet_has_every_status_and_every_stig(drift):
    _dir, report = drift
    statuses = set(c["status"] for h in report["hosts"] for c in h["controls"])
    assert statuses == {"pass", "fail", "waived", "not_applicable", "error", "unreachable"}, statuses
    with open(os.path.join(ROOT, "data", "profiles.yml")) as handle:
        stigs = sorted(p for p in yaml.safe_load(handle)["profiles"] if p.startswith("stig_"))
    judged = sorted(set((h["profile"] or {}).get("name") for h in report["hosts"]) - {None})
    assert judged == stigs
    # a host that could not be judged lists the controls of the profile its inventory names
    assert [c["status"] for c in _hosts(report)["rhel9-down"]["controls"]] == ["unreachable"] * 3
    assert [c["status"] for c in _hosts(report)["ol8-noaudit"]["controls"]] == ["error"] * 3


# --- OpenSCAP -----------------------------------------------------------------------------------

def _xccdf_files(report_dir):
    return sorted(glob.glob(os.path.join(str(report_dir), "*.xccdf.xml")))


def test_one_xccdf_file_per_host(drift):
    report_dir, report = drift
    with_identity = [h for h, spec in _fleet_hosts().items() if spec["vars"]["auditkit_profile"] in _disa_profiles()]
    assert len(with_identity) < len(report["hosts"])  # the fleet has STIG hosts without one too
    assert [os.path.basename(f) for f in _xccdf_files(report_dir)] == sorted(h + ".xccdf.xml" for h in with_identity)


def test_oscap_validates_and_renders_every_xccdf_file(drift, tmp_path):
    report_dir, report = drift
    for path in _xccdf_files(report_dir):
        valid = subprocess.run(["oscap", "xccdf", "validate", path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, check=False)
        assert valid.returncode == 0 and "Error" not in valid.stdout, (path, valid.stdout)
        html = tmp_path / (os.path.basename(path) + ".html")
        rendered = subprocess.run(["oscap", "xccdf", "generate", "report", "--output", str(html), path],
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
        assert rendered.returncode == 0, (path, rendered.stdout)
        host = _hosts(report)[os.path.basename(path)[:-len(".xccdf.xml")]]
        page = html.read_text()
        assert "OpenSCAP Evaluation Report" in page and host["name"] in page
        for control in host["controls"]:
            rule = re.search(r'idref="xccdf_mil\.disa\.stig_rule_(SV-\d+r\d+_rule)"[^>]*>\s*<result>%s<'
                             % XCCDF_RESULT[control["status"]], open(path).read())
            assert rule and rule.group(1) in page, (path, control)


# --- STIG Manager -------------------------------------------------------------------------------

def _disa_benchmarks():
    """{V-ID: (DISA's Benchmark id, version, release-info, Rule id)} from DISA's XCCDF excerpts."""
    groups = {}
    for path in sorted(glob.glob(os.path.join(DISA_FILES, "*.xml"))):
        root = ET.parse(path).getroot()
        ns = root.tag[:root.tag.index("}") + 1]
        release = [p.text for p in root.findall(ns + "plain-text") if p.get("id") == "release-info"][0]
        version = root.find(ns + "version").text
        for group in root.iter(ns + "Group"):
            groups[group.get("id")] = (root.get("id"), version, release, group.find(ns + "Rule").get("id"))
    assert groups, "no DISA XCCDF excerpts in %s" % DISA_FILES
    return groups


def _stig_manager(function, paths):
    script = os.path.join(ROOT, "tests", "clients", "stig_manager.mjs")
    done = subprocess.run(["node", script, function] + list(paths), env=dict(os.environ, AUDITKIT_CLIENTS=CLIENTS),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert done.returncode == 0, "%s\n(make setup installs the npm clients into %s)" % (done.stderr, CLIENTS)
    return json.loads(done.stdout)


def test_stig_manager_reads_every_xccdf_file_with_disas_benchmark_rules_and_results(drift):
    report_dir, report = drift
    disa = _disa_benchmarks()
    parsed = _stig_manager("reviewsFromXccdf", _xccdf_files(report_dir))
    assert len(parsed) == len(_xccdf_files(report_dir)) > 10
    for item in parsed:
        assert "error" not in item, item
        host = _hosts(report)[item["target"]["name"]]
        assert os.path.basename(item["file"]) == host["name"] + ".xccdf.xml"
        (checklist,) = item["checklists"]
        wanted = [disa[c["id"]] for c in host["controls"]]
        assert set(w[0] for w in wanted) == {checklist["benchmarkId"]}, (host["name"], checklist["benchmarkId"])
        assert [(r["ruleId"], r["result"]) for r in checklist["reviews"]] == [
            (w[3], STIG_MANAGER_RESULT[c["status"]]) for w, c in zip(wanted, host["controls"])], host["name"]
        for review, control in zip(checklist["reviews"], host["controls"]):
            assert (host["error"] or control["reason"]) in review["detail"]
            assert review["comment"] == ("Waived: %s" % control["waiver"] if control["waiver"] else None)


def test_xccdf_carries_disas_revision(drift):
    """reviewsFromXccdf reads no revision (its revisionStr is always null: STIG Manager takes the
    revision it has for the benchmark); the XCCDF still claims DISA's, as DISA's file writes it."""
    report_dir, report = drift
    disa = _disa_benchmarks()
    for path in _xccdf_files(report_dir):
        root = ET.parse(path).getroot()
        host = _hosts(report)[os.path.basename(path)[:-len(".xccdf.xml")]]
        benchmark, version, release, _rule = disa[host["controls"][0]["id"]]
        assert root.get("id") == "xccdf_mil.disa.stig_benchmark_" + benchmark
        assert root.find(XCCDF_NS + "version").text == version
        assert [p.text for p in root.findall(XCCDF_NS + "plain-text") if p.get("id") == "release-info"] == [release]


# --- Heimdall Lite ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def heimdall_url():
    """Heimdall Lite's static build on 127.0.0.1 (an ephemeral port), for this module."""
    assert os.path.isfile(os.path.join(HEIMDALL, "index.html")), "make setup installs Heimdall Lite into %s" % CLIENTS
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_QuietHandler, directory=HEIMDALL))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d/" % server.server_address[1]
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *_args):
        pass


COUNT_CARD = re.compile(r"^(Passed|Failed|Not Applicable|Not Reviewed): (\d+)$|^ALERT: (\d+) Profile Errors?$", re.M)


def _heimdall_counts(url, files, screenshot):
    """The status counts Heimdall shows after loading files through its upload input."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:
        pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
    with sync_api.sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)
            page.set_input_files("input[type=file]", files)
            page.get_by_text(re.compile(r"^Passed: \d+$")).first.wait_for(timeout=60000)
            page.wait_for_timeout(1000)  # the cards settle once every file is parsed
            text = page.inner_text("body")
            page.screenshot(path=screenshot)
        finally:
            browser.close()
    shown = dict((label or "Profile Error", int(n or errors)) for label, n, errors in COUNT_CARD.findall(text))
    return shown, text


def test_heimdall_lite_shows_every_hdf_file_with_the_reports_counts(drift, heimdall_url, tmp_path):
    report_dir, report = drift
    files = sorted(glob.glob(os.path.join(str(report_dir), "*.hdf.json")))
    assert [os.path.basename(f) for f in files] == sorted(h + ".hdf.json" for h in _hosts(report))
    expected = dict((label, 0) for label in set(HEIMDALL_COUNT.values()))
    for host in report["hosts"]:
        for control in host["controls"]:
            expected[HEIMDALL_COUNT[control["status"]]] += 1
    screenshot = str(tmp_path / "heimdall.png")
    shown, text = _heimdall_counts(heimdall_url, files, screenshot)
    assert shown == expected, text[:2000]
    if os.environ.get("AUDITKIT_UPDATE_SCREENSHOT"):
        shutil.copy(screenshot, os.path.join(ROOT, "docs", "report-heimdall.png"))


# --- the merge of sliced jobs -------------------------------------------------------------------

def _xccdf_results(path):
    root = ET.parse(path).getroot()
    return [(r.get("idref"), r.find(XCCDF_NS + "result").text, r.find(XCCDF_NS + "message").text)
            for r in root.iter(XCCDF_NS + "rule-result")]


def _hdf_results(path):
    with open(path) as handle:
        document = json.load(handle)
    return [(c["id"], [r["status"] for r in c["results"]], c.get("waiver_data"))
            for p in document["profiles"] for c in p["controls"]]


def test_merge_reports_writes_the_same_xccdf_and_hdf(drift):
    """merge_reports (the sliced jobs' merge) renders the same results from report.json."""
    report_dir, report = drift
    merged = report_dir.parent / "merged"
    run = playbook(report_dir.parent, "merge_reports", auditkit_merge_paths=[str(report_dir)],
                   auditkit_report_dir=str(merged), auditkit_report_formats=["json", "xccdf", "hdf"])
    assert run.returncode == 0, run.stdout
    for suffix, read in ((".xccdf.xml", _xccdf_results), (".hdf.json", _hdf_results)):
        before = sorted(glob.glob(os.path.join(str(report_dir), "*" + suffix)))
        after = sorted(glob.glob(os.path.join(str(merged), "*" + suffix)))
        assert [os.path.basename(p) for p in after] == [os.path.basename(p) for p in before]
        for old, new in zip(before, after):
            assert read(new) == read(old), new
