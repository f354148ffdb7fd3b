# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The drift_report and remediate playbooks on a sandbox fleet: inventory hosts on the local
connection, each with its own rules directory and starting state, plus one unreachable host and one
without a rules directory (no audit package). Verdicts per host x control are checked in every report
format; remediate --check must report the current state with the plan beside it; the report covers
exactly the hosts of the play (--limit without localhost, every host failed); remediate must make
every host pass without duplicating what was covered, and a second run must change nothing."""
import csv
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from sandbox import DISA_RHEL9

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "pytest")
BIN = os.path.dirname(sys.executable)

EQUIVALENT = [
    "-a exit,always -F arch=i386 -S delete_module -F auid!=-1 -F loginuid>=1000 -F key=m",
    "-a always,exit -F arch=x86_64 -S 176 -F auid>=1000 -F auid!=4294967295",
    "-a always,exit -F arch=b32 -S finit_module -S init_module -F auid!=unset -F auid>=1000",
    "-a always,exit -F arch=b64 -S finit_module -F auid>=1000 -F auid!=unset",
    "-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset",
    "-a always,exit -F perm=x -F auid>=1000 -F path=/usr/bin/kmod -F auid!=unset -k modules",
]
FLEET = {
    "h-empty": {"10-base.rules": "-D\n-b 8192\n"},
    "h-compliant": {"10-base.rules": "-D\n", "audit.rules": "\n".join(DISA_RHEL9) + "\n"},
    "h-equivalent": {"10-base.rules": "-D\n", "30-site.rules": "\n".join(EQUIVALENT) + "\n"},
    "h-suppressed": {"10-base.rules": "-D\n-a task,never\n", "audit.rules": "\n".join(DISA_RHEL9) + "\n"},
    "h-partial": {"10-base.rules": "-D\n", "audit.rules": "\n".join(DISA_RHEL9[2:4]) + "\n-w /usr/bin/kmod -p x -k modules\n"},
}
CONTROLS = ["V-258189", "V-258190", "V-258195"]
WAIVER = {"V-258195": "kmod executions are covered by the site EDR (ticket SEC-42)"}
EXPECTED = {  # with the V-258195 waiver
    "h-empty": ["fail", "fail", "waived"],
    "h-compliant": ["pass", "pass", "pass"],
    "h-equivalent": ["pass", "pass", "pass"],
    "h-suppressed": ["fail", "fail", "waived"],
    "h-partial": ["fail", "pass", "waived"],
    "h-down": ["unreachable", "unreachable", "unreachable"],
    "h-noaudit": ["error", "error", "error"],
}


@pytest.fixture
def fleet(tmp_path):
    (tmp_path / "h-noaudit" / "etc").mkdir(parents=True)
    lines = ["[fleet]"]
    for host, files in FLEET.items():
        rules_dir = tmp_path / host / "rules.d"
        rules_dir.mkdir(parents=True)
        for name, text in files.items():
            (rules_dir / name).write_text(text)
            (rules_dir / name).chmod(0o600)
        lines.append("%s auditkit_rules_dir=%s auditkit_rules_file=%s auditkit_compiled_file=%s"
                     % (host, rules_dir, rules_dir / "audit.rules", tmp_path / host / "audit.rules"))
    lines += ["[fleet:vars]", "ansible_connection=local", "ansible_python_interpreter=%s" % sys.executable,
              "[down]", "h-down ansible_host=127.0.0.1 ansible_port=1 ansible_connection=ssh ansible_ssh_timeout=3",
              "[noaudit]", "h-noaudit auditkit_rules_dir=%s ansible_connection=local ansible_python_interpreter=%s"
              % (tmp_path / "h-noaudit" / "etc" / "audit" / "rules.d", sys.executable),  # etc/ without audit/
              "[all:vars]", "auditkit_profile=stig_rhel9", "auditkit_arch=x86_64", "auditkit_read_kernel=false",
              "auditkit_load=false", "auditkit_become=false"]
    (tmp_path / "hosts.ini").write_text("\n".join(lines) + "\n")
    return tmp_path


def playbook(fleet, name, *args, **extra_vars):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR="1", ANSIBLE_HOST_KEY_CHECKING="0",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_RETRY_FILES_ENABLED="0", PATH=BIN + os.pathsep + os.environ["PATH"])
    command = [os.path.join(BIN, "ansible-playbook"), "-i", str(fleet / "hosts.ini"), "auditkit.auditd." + name,
               "-e", json.dumps(extra_vars)] + list(args)
    return subprocess.run(command, env=env, cwd=str(fleet), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False)


def _statuses(report):
    return dict((h["name"], [c["status"] for c in h["controls"]]) for h in report["hosts"])


def _schema(name):
    with open(os.path.join(ROOT, "schemas", name)) as handle:
        return json.load(handle)


def check_report(report_dir, expected):
    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    jsonschema.validate(report, _schema("report.schema.json"))
    assert _statuses(report) == expected
    assert [c["id"] for c in report["hosts"][0]["controls"]] == CONTROLS

    junit = ET.parse(os.path.join(report_dir, "junit.xml")).getroot().find("testsuite")
    cases = dict(((c.get("classname"), c.get("name").split()[0]), c) for c in junit.findall("testcase"))
    assert len(cases) == len(expected) * len(CONTROLS)
    tags = {"fail": "failure", "error": "error", "unreachable": "error", "waived": "skipped", "not_applicable": "skipped"}
    for host, statuses in expected.items():
        for control, status in zip(CONTROLS, statuses):
            children = [child.tag for child in cases[(host, control)]]
            assert children == ([tags[status]] if status in tags else []), (host, control)

    with open(os.path.join(report_dir, "report.csv")) as handle:
        rows = list(csv.DictReader(handle))
    assert dict(((r["host"], r["control"]), r["status"]) for r in rows) == dict(
        ((h, c), s) for h, statuses in expected.items() for c, s in zip(CONTROLS, statuses))

    with open(os.path.join(report_dir, "summary.md")) as handle:
        markdown = handle.read()
    for host, statuses in expected.items():
        for control, status in zip(CONTROLS, statuses):
            assert "| %s | %s | %s |" % (host, control, status) in markdown

    for host, statuses in expected.items():
        with open(os.path.join(report_dir, host + ".cklb")) as handle:
            checklist = json.load(handle)
        jsonschema.validate(checklist, _schema("cklb.schema.json"))
        # auditkit_read_kernel=false: a pass on disk alone is not the RHEL 9 check (auditctl -l), so not_reviewed
        cklb = {"pass": "not_reviewed", "fail": "open", "waived": "open", "error": "not_reviewed",
                "unreachable": "not_reviewed"}
        assert [r["status"] for r in checklist["stigs"][0]["rules"]] == [cklb[s] for s in statuses]
        assert [r["group_id"] for r in checklist["stigs"][0]["rules"]] == CONTROLS
    with open(os.path.join(report_dir, "report.html")) as handle:
        html = handle.read()
    assert html.count("<tr data-host=") == len(expected) * len(CONTROLS) and "<svg" in html and "http" not in html.split(
        "</style>")[0]
    return report


def test_drift_remediate_drift(fleet):
    first = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "before"), auditkit_waivers=WAIVER)
    assert first.returncode == 4, first.stdout  # after the report the errored host fails and the unreachable one ends unreachable: rc 4
    report = check_report(str(fleet / "before"), EXPECTED)
    assert report["summary"]["unreachable"] == 1 and report["summary"]["error"] == 1
    assert report["waivers"] == dict((name, WAIVER) for name in EXPECTED)  # extra vars: every host's own
    noaudit = next(h for h in report["hosts"] if h["name"] == "h-noaudit")
    assert noaudit["status"] == "error" and "is the audit package installed?" in noaudit["error"]
    waived = next(h for h in report["hosts"] if h["name"] == "h-empty")["controls"][2]
    assert waived["waiver"] == WAIVER["V-258195"] and waived["original_status"] == "fail"
    suppressed = next(h for h in report["hosts"] if h["name"] == "h-suppressed")
    assert "suppressed" in suppressed["controls"][0]["reason"]

    gated = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "gated"),
                     auditkit_fail_on_drift=True, target="fleet")
    assert gated.returncode != 0 and "drift: " in gated.stdout

    dry = playbook(fleet, "remediate", "--check", "--diff", auditkit_report_dir=str(fleet / "dry"), target="fleet")
    assert dry.returncode == 0, dry.stdout
    with open(str(fleet / "dry" / "report.json")) as handle:
        planned = json.load(handle)
    assert planned["kind"] == "remediate_check"
    empty = next(h for h in planned["hosts"] if h["name"] == "h-empty")
    assert len([c for c in empty["planned_changes"] if c["action"] == "add"]) == 5
    assert FLEET["h-empty"]["10-base.rules"] == (fleet / "h-empty" / "rules.d" / "10-base.rules").read_text()
    assert not (fleet / "h-empty" / "rules.d" / "audit.rules").exists()

    fixed = playbook(fleet, "remediate", target="fleet")
    assert fixed.returncode == 0, fixed.stdout
    assert "h-compliant                : ok=" in fixed.stdout and _changed(fixed.stdout, "h-compliant") == 0
    equivalent_files = sorted(os.listdir(str(fleet / "h-equivalent" / "rules.d")))
    assert equivalent_files == ["10-base.rules", "30-site.rules"]  # everything was covered: nothing written
    partial = (fleet / "h-partial" / "rules.d" / "audit.rules").read_text()
    assert partial.count("-S init_module,finit_module") == 2 and "-a always,exit -F path=/usr/bin/kmod" in partial

    after = playbook(fleet, "drift_report", auditkit_report_dir=str(fleet / "after"), target="fleet")
    assert after.returncode == 0, after.stdout
    all_pass = dict((host, ["pass"] * 3) for host in FLEET)
    check_report(str(fleet / "after"), all_pass)

    again = playbook(fleet, "remediate", target="fleet")
    assert again.returncode == 0 and all(_changed(again.stdout, host) == 0 for host in FLEET), again.stdout


def _changed(output, host):
    for line in output.splitlines():
        if line.startswith(host + " ") and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError("no recap line for %s in:\n%s" % (host, output))


DRY_RUN_TITLE = "remediate dry run"


def _read(report_dir, name):
    with open(os.path.join(str(report_dir), name)) as handle:
        return handle.read()


def test_remediate_check_reports_the_current_state_with_the_plan(fleet):
    """The empty host is `fail` in every format (not the projected pass), with the planned lines
    beside it, no evidence citing a file that does not exist, and fail_on_drift trips."""
    dry = playbook(fleet, "remediate", "--check", auditkit_report_dir=str(fleet / "dry"), auditkit_fail_on_drift=True,
                   target="fleet")
    assert dry.returncode != 0 and "drift: " in dry.stdout, dry.stdout
    report_dir = fleet / "dry"
    expected = dict((host, [s if s != "waived" else "fail" for s in statuses])
                    for host, statuses in EXPECTED.items() if host in FLEET)
    report = check_report(str(report_dir), expected)
    assert report["kind"] == "remediate_check" and DRY_RUN_TITLE in report["title"]
    empty = next(h for h in report["hosts"] if h["name"] == "h-empty")
    assert empty["status"] == "fail" and all(c["evidence"] == [] for c in empty["controls"])
    planned_file = str(fleet / "h-empty" / "rules.d" / "audit.rules")
    assert not os.path.exists(planned_file)  # check mode wrote nothing
    assert all(c["planned"]["status"] == "pass" for c in empty["controls"])
    assert sorted(c["line"] for c in empty["planned_changes"]) == sorted(DISA_RHEL9)
    assert set(c["file"] for c in empty["planned_changes"]) == {planned_file}

    markdown = _read(report_dir, "summary.md")
    assert markdown.startswith("# auditkit.auditd " + DRY_RUN_TITLE) and "Planned (not applied)" in markdown
    assert "| h-empty | V-258189 | fail |" in markdown
    escaped = DISA_RHEL9[1].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert escaped in markdown  # Markdown cells escape <, >, & (issue 23)
    rows = list(csv.DictReader(open(str(report_dir / "report.csv"))))
    empty_rows = [r for r in rows if r["host"] == "h-empty"]
    assert [r["status"] for r in empty_rows] == ["fail"] * 3 and all(r["planned_status"] == "pass" for r in empty_rows)
    assert all(DRY_RUN_TITLE in r["report"] for r in rows)
    assert not [cell for r in rows for cell in r.values() if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    junit = ET.parse(str(report_dir / "junit.xml")).getroot().find("testsuite")
    assert DRY_RUN_TITLE in junit.get("name")
    html = _read(report_dir, "report.html")
    assert DRY_RUN_TITLE in html.split("</title>")[0] and 'id="dry-run"' in html and 'id="matrix"' in html
    checklist = json.loads(_read(report_dir, "h-empty.cklb"))
    rules = checklist["stigs"][0]["rules"]
    assert [r["status"] for r in rules] == ["open"] * 3
    assert all("NOT applied" in r["comments"] and planned_file not in r["finding_details"] for r in rules)
    assert "remediate_check" in checklist["target_data"]["comments"]
    modes = set(oct(os.stat(str(report_dir / name)).st_mode & 0o777) for name in os.listdir(str(report_dir)))
    assert modes == {"0o640"}


def test_limit_without_localhost_writes_a_report_of_exactly_the_limited_hosts(fleet):
    limited = playbook(fleet, "drift_report", "--limit", "h-empty,h-compliant", auditkit_report_dir=str(fleet / "lim"))
    assert limited.returncode == 0, limited.stdout
    report = json.loads(_read(fleet / "lim", "report.json"))
    assert [h["name"] for h in report["hosts"]] == ["h-empty", "h-compliant"]
    assert _statuses(report) == {"h-empty": ["fail", "fail", "fail"], "h-compliant": ["pass", "pass", "pass"]}
    checklists = sorted(n for n in os.listdir(str(fleet / "lim")) if n.endswith(".cklb"))
    assert checklists == ["h-compliant.cklb", "h-empty.cklb"]
    dry = playbook(fleet, "remediate", "--check", "--limit", "h-partial", auditkit_report_dir=str(fleet / "lim-dry"))
    assert dry.returncode == 0, dry.stdout
    assert [h["name"] for h in json.loads(_read(fleet / "lim-dry", "report.json"))["hosts"]] == ["h-partial"]


def test_every_host_failed_still_writes_the_report(fleet):
    failed = playbook(fleet, "drift_report", "--limit", "h-down,h-noaudit", auditkit_report_dir=str(fleet / "bad"))
    assert failed.returncode == 4, failed.stdout  # Ansible's code for unreachable hosts
    # the recap agrees with the report: the ssh host that refused the connection is unreachable, not failed
    recap = re.findall(r"^(\S+)\s+: ok=\d+\s+changed=\d+\s+(unreachable=\d+\s+failed=\d+)", failed.stdout, re.M)
    assert dict((h, re.sub(r"\s+", " ", c)) for h, c in recap) == {"h-down": "unreachable=1 failed=0",
                                                                   "h-noaudit": "unreachable=0 failed=1"}, failed.stdout
    report = json.loads(_read(fleet / "bad", "report.json"))
    jsonschema.validate(report, _schema("report.schema.json"))
    status = dict((h["name"], (h["status"], h["error"])) for h in report["hosts"])
    assert set(status) == {"h-down", "h-noaudit"}
    assert status["h-down"][0] == "unreachable"
    assert status["h-noaudit"][0] == "error" and "is the audit package installed?" in status["h-noaudit"][1]
    assert "| h-noaudit | (host) | error |" in _read(fleet / "bad", "summary.md")
    dry = playbook(fleet, "remediate", "--check", "--limit", "h-down,h-noaudit", auditkit_report_dir=str(fleet / "bad2"))
    assert dry.returncode != 0, dry.stdout
    statuses = dict((h["name"], h["status"]) for h in json.loads(_read(fleet / "bad2", "report.json"))["hosts"])
    assert statuses == {"h-down": "unreachable", "h-noaudit": "error"}


def test_every_host_failed_with_the_probe_on_still_writes_the_report(fleet):
    """The probe (auditkit_probe) runs only on judged hosts and never drops one before the report."""
    failed = playbook(fleet, "drift_report", "--limit", "h-down,h-noaudit", auditkit_report_dir=str(fleet / "probe"),
                      auditkit_probe=True, auditkit_probe_required=True)
    assert failed.returncode != 0, failed.stdout
    status = dict((h["name"], h["status"]) for h in json.loads(_read(fleet / "probe", "report.json"))["hosts"])
    assert status == {"h-down": "unreachable", "h-noaudit": "error"}
    assert "Fire each required action" not in failed.stdout  # nothing fired at hosts that were not judged


def test_report_files_mode_and_mode_only_diff(fleet):
    """Report files get auditkit_report_mode atomically; a mode change shows in --diff."""
    first = playbook(fleet, "drift_report", "--limit", "h-compliant", auditkit_report_dir=str(fleet / "m"),
                     auditkit_report_mode="0600")
    assert first.returncode == 0, first.stdout
    assert set(oct(os.stat(str(fleet / "m" / n)).st_mode & 0o777) for n in os.listdir(str(fleet / "m"))) == {"0o600"}
    second = playbook(fleet, "drift_report", "--limit", "h-compliant", "--diff", auditkit_report_dir=str(fleet / "m"),
                      auditkit_report_formats=["json"])
    assert second.returncode == 0, second.stdout
    assert ": 1 file written (0 new): report.json (mode 0600 -> 0640)" in second.stdout, second.stdout
    assert oct(os.stat(str(fleet / "m" / "report.json")).st_mode & 0o777) == "0o640"
    assert not [n for n in os.listdir(str(fleet / "m")) if n.startswith(".")]


def test_check_mode_load_prediction_uses_the_planned_files(fleet):
    """remediate --check with loading on: the handler predicts the load from the planned lines
    (only reads the kernel: auditctl -l, in check mode)."""
    if os.geteuid() != 0 or not (os.path.exists("/sbin/auditctl") or os.path.exists("/usr/sbin/auditctl")):
        pytest.skip("needs root and auditctl to read the kernel's rules")
    dry = playbook(fleet, "remediate", "--check", "--limit", "h-empty", auditkit_report_dir=str(fleet / "p"),
                   auditkit_load=True, auditkit_read_kernel=True)
    assert dry.returncode == 0, dry.stdout
    prediction = dry.stdout.split("Predict the load against the planned files")[1]
    assert "loading the planned files would bring into the kernel" in prediction and DISA_RHEL9[1] in prediction
    assert re.search(r"RUNNING HANDLER \[auditkit.auditd.module_loading : Load audit rules\] \**\nchanged: \[h-empty\]",
                     dry.stdout), dry.stdout
    assert not (fleet / "h-empty" / "rules.d" / "audit.rules").exists()
