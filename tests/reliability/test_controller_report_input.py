# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Report input a host controls, through ansible-playbook (issue 23 items 5-7): real
audit_rules_info results on a rules directory with hostile file names, then audit_report with
malformed results beside good ones, host names that sanitise alike, and host names holding
HTML. summary.md is judged by a CommonMark parser (markdown-it-py with GitHub tables)."""
import json
import os
import shutil

import pytest
from controller import broken, inventory, run_playbook, world_readable_dir
from markdown_it import MarkdownIt

CR_NAME = "10-a\r# All hosts compliant\r.rules"
HTML_NAME = "20-<img src=x onerror=alert(1)>.rules"
FILES = {CR_NAME: "-a never,exit -F arch=b64 -S init_module,finit_module\n",
         HTML_NAME: "-a never,exit -F arch=b64 -S delete_module\n"}
HTML_HOST = "<img src=x onerror=alert(2)>"
MALFORMED = {
    "bad-status": {"controls": [{"id": "V-258190", "catalog_id": "stig:rhel9:V-258190", "status": "bogus",
                                 "reason": ""}]},
    "bad-catalog": {"controls": [{"id": "V-1", "catalog_id": "no-such-control", "status": "pass", "reason": ""}]},
    "bad-controls": {"controls": "not a list"},
    "not-a-dict": "text",
}


@pytest.fixture(scope="module")
def sandbox():
    path = world_readable_dir("auditkit-report-input-")
    rules_dir = os.path.join(path, "rules.d")
    os.makedirs(rules_dir)
    for name, text in FILES.items():
        with open(os.path.join(rules_dir, name), "w", newline="") as handle:
            handle.write(text)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _report(sandbox, name, results):
    """audit_rules_info on the hostile tree (registered as info), then audit_report with
    ``results`` ("INFO" stands for that real result); (report task, report directory)."""
    dest = os.path.join(sandbox, name)
    templated = dict((host, "{{ info }}" if value == "INFO" else value) for host, value in results.items())
    info_args = dict(rules_dir=os.path.join(sandbox, "rules.d"), compiled_file=os.path.join(sandbox, "audit.rules"),
                     arch="x86_64", profile="stig_rhel9")
    report_args = dict(results=templated, hosts=list(results), dest=dest, formats=["json", "markdown", "cklb"])
    playbook = os.path.join(sandbox, name + ".yml")
    with open(playbook, "w") as handle:
        handle.write("- name: Report\n  hosts: fleet\n  gather_facts: false\n  tasks:\n"
                     "    - name: Info\n      auditkit.auditd.audit_rules_info: %s\n      register: info\n"
                     "    - name: Report\n      auditkit.auditd.audit_report: %s\n"
                     % (json.dumps(info_args), json.dumps(report_args)))
    _done, tasks = run_playbook(sandbox, playbook, inventory(os.path.join(sandbox, "hosts-%s.ini" % name), {"h1": {}}))
    assert tasks["h1"]["Info"]["status"] == "ok", tasks["h1"]["Info"]
    return tasks["h1"]["Report"], dest


def _hosts(dest):
    with open(os.path.join(dest, "report.json")) as handle:
        return dict((host["name"], host) for host in json.load(handle)["hosts"])


def test_a_malformed_host_result_is_that_hosts_error_row(sandbox):
    """Item 5: before the fix one such result stopped the whole report (KeyError/TypeError)."""
    task, dest = _report(sandbox, "malformed", dict(MALFORMED, good="INFO"))
    assert task["status"] == "ok" and broken(task) is None, task
    hosts = _hosts(dest)
    assert hosts["good"]["status"] == "fail" and len(hosts["good"]["controls"]) > 1
    expected = {"bad-status": "unknown status 'bogus'", "bad-catalog": "unknown catalog_id 'no-such-control'",
                "bad-controls": "controls is not a list of mappings", "not-a-dict": "not a module result"}
    for name, words in expected.items():
        assert hosts[name]["status"] == "error" and words in hosts[name]["error"], hosts[name]


def test_hosts_whose_names_sanitise_alike_get_their_own_checklists(sandbox):
    """Item 6: a/b and a_b (and Web1/web1 on a case-insensitive file system) shared one .cklb."""
    names = ["a/b", "a_b", "Web1", "web1"]
    task, dest = _report(sandbox, "names", dict((name, "INFO") for name in names))
    assert task["status"] == "ok" and broken(task) is None, task
    checklists = sorted(n for n in os.listdir(dest) if n.endswith(".cklb"))
    assert len(set(n.lower() for n in checklists)) == len(names), checklists
    inside = []
    for checklist in checklists:
        with open(os.path.join(dest, checklist)) as handle:
            inside.append(json.load(handle)["target_data"]["host_name"])
    assert sorted(inside) == sorted(names)
    assert "a_b.cklb" in checklists and "web1.cklb" in checklists  # names sanitising leaves alone stay as they are


def _rendered(markdown):
    return MarkdownIt("commonmark").enable("table").parse(markdown)


def test_summary_md_keeps_hostile_text_inside_its_cells(sandbox):
    """Item 7: a CR in a file name ended the row and made a heading; <img ...> rendered as HTML."""
    task, dest = _report(sandbox, "markdown", {"h-ok": "INFO", HTML_HOST: "INFO"})
    assert task["status"] == "ok" and broken(task) is None, task
    with open(os.path.join(dest, "summary.md"), newline="") as handle:
        tokens = _rendered(handle.read())
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == ["auditkit.auditd drift report"], headings
    assert not [t for t in tokens if t.type in ("html_block", "html_inline")]
    inline = [child for t in tokens if t.type == "inline" for child in t.children or []]
    assert not [c for c in inline if c.type in ("html_inline", "image", "link_open")]
    assert not [c for c in inline if "\r" in c.content]
    cells = [_text(t) for i, t in enumerate(tokens) if t.type == "inline" and tokens[i - 1].type in ("td_open", "th_open")]
    assert HTML_HOST in cells  # the host's name, shown as text
    assert any(HTML_NAME in c for c in cells) and any("10-a\\x0d# All hosts compliant\\x0d.rules" in c for c in cells)
    first_cells = [_text(tokens[i + 2]) for i, t in enumerate(tokens) if t.type == "tr_open" and tokens[i + 1].type == "td_open"]
    assert set(first_cells) <= {"h-ok", HTML_HOST, "pass", "fail", "waived", "not_applicable", "error", "unreachable"}
    assert first_cells.count(HTML_HOST) == first_cells.count("h-ok") > 1  # every row of each host is whole


def _text(inline):
    """The text a reader sees in an inline token (entities decoded, escapes applied)."""
    return "".join(child.content for child in inline.children or [] if child.type in ("text", "code_inline"))
