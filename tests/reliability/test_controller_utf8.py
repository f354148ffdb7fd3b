# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rules files that are not UTF-8, through ansible-playbook (ansible-core refuses results holding
lone surrogates): the Latin-1 and \\xff cases of issue 13 get correct verdicts, a write next to
them is returned, a failed write has changed nothing, and the drift report play writes all six
formats, valid per schemas/ (docs/reliability.md)."""
import csv
import json
import os
import shutil
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from controller import BIN, COLLECTIONS, ROOT, broken, inventory, picture, run_playbook, world_readable_dir

B64 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
B32 = "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
LATIN1 = b"# r\xe9gle du site\n" + B64.encode() + b"\n"
XFF = b"\xff\xfe# odd bytes \xff\n-w /etc/passwd -p wa -k identity\n"
DEST_WITH_BYTES = b"# caf\xe9 \xff\n-D\n"


@pytest.fixture
def sandbox():
    path = world_readable_dir("auditkit-utf8-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _tree(sandbox, host, files):
    rules_dir = os.path.join(sandbox, host, "rules.d")
    os.makedirs(rules_dir)
    for name, data in files.items():
        with open(os.path.join(rules_dir, name), "wb") as handle:
            handle.write(data)
        os.chmod(os.path.join(rules_dir, name), 0o600)
    return rules_dir


def _play(sandbox, name, module, args, **task):
    lines = ["- name: %s" % name, "  hosts: fleet", "  gather_facts: false", "  tasks:", "    - name: %s" % name,
             "      %s: %s" % (module, json.dumps(args))]
    lines += ["      %s: %s" % (key, json.dumps(value)) for key, value in task.items()]
    path = os.path.join(sandbox, name + ".yml")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def _one_host(sandbox, files):
    rules_dir = _tree(sandbox, "h1", files)
    hosts = inventory(os.path.join(sandbox, "hosts.ini"), {"h1": {"rules_dir_of_host": rules_dir}})
    return rules_dir, hosts


def _args(rules_dir, **extra):
    return dict(dict(rules_dir=rules_dir, compiled_file=os.path.join(os.path.dirname(rules_dir), "audit.rules")),
                **extra)


def test_latin1_comment_gets_its_verdict(sandbox):
    rules_dir, hosts = _one_host(sandbox, {"30-x.rules": LATIN1})
    play = _play(sandbox, "info", "auditkit.auditd.audit_rules_info",
                 _args(rules_dir, profile="stig_al2023", loaded=False, arch="x86_64"))
    done, results = run_playbook(sandbox, play, hosts)
    got = results["h1"]["info"]
    assert got["status"] == "ok", done.stdout[-3000:]
    controls = dict((c["id"], c["status"]) for c in got["result"]["controls"])
    assert controls["V-274091"] == "pass"  # init_module,finit_module b64: the line after the comment
    finding = next(f for f in got["result"]["findings"] if f["kind"] == "invalid_utf8")
    assert finding["line"] == 1 and finding["text"] == "# r\\xe9gle du site"  # visible, byte for byte


def test_write_next_to_ff_bytes_is_returned_and_keeps_bytes(sandbox):
    rules_dir, hosts = _one_host(sandbox, {"30-x.rules": LATIN1, "40-odd.rules": XFF, "audit.rules": DEST_WITH_BYTES})
    untouched = dict((k, v) for k, v in picture(rules_dir).items() if k != b"audit.rules")
    play = _play(sandbox, "write", "auditkit.auditd.audit_rules", _args(rules_dir, rules=[B32], arch="x86_64"),
                 diff=True)
    done, results = run_playbook(sandbox, play, hosts)
    got = results["h1"]["write"]
    assert got["status"] == "ok" and got["result"]["changed"], done.stdout[-3000:]
    assert [a["rule"] for a in got["result"]["added"]] == [B32]
    with open(os.path.join(rules_dir, "audit.rules"), "rb") as handle:
        assert handle.read() == DEST_WITH_BYTES + B32.encode() + b"\n"  # its own odd bytes kept exactly
    assert got["result"]["diff"][0]["before"] == "# caf\\xe9 \\xff\n-D\n"
    assert dict((k, v) for k, v in picture(rules_dir).items() if k != b"audit.rules") == untouched
    kinds = [(f["kind"], os.path.basename(f["file"])) for f in got["result"]["findings"]]
    assert ("invalid_utf8", "40-odd.rules") in kinds and ("invalid_utf8", "audit.rules") in kinds


@pytest.mark.parametrize("extra", [{"owner": "no-such-user-auditkit"},
                                   {"group": "no-such-group-auditkit", "backup": True}])
def test_failed_write_has_changed_nothing(sandbox, extra):
    """The rules are written, then setting the owner or group fails: the task fails, and every
    file (bytes, mode, owner) is as before, with no backup or temporary file left."""
    rules_dir, hosts = _one_host(sandbox, {"40-odd.rules": XFF, "audit.rules": DEST_WITH_BYTES})
    os.chmod(os.path.join(rules_dir, "audit.rules"), 0o640)
    before = picture(rules_dir)
    play = _play(sandbox, "write", "auditkit.auditd.audit_rules", _args(rules_dir, rules=[B32], arch="x86_64", **extra),
                 diff=True)
    _done, results = run_playbook(sandbox, play, hosts)
    got = results["h1"]["write"]
    assert got["status"] == "failed" and broken(got) is None, got
    assert "every file written is back" in got["result"]["msg"]
    assert picture(rules_dir) == before


def _schema(name):
    with open(os.path.join(ROOT, "schemas", name)) as handle:
        return json.load(handle)


def test_drift_report_with_latin1_and_ff_hosts(sandbox):
    fleet = {"h-latin1": {"30-x.rules": LATIN1}, "h-ff": {"30-x.rules": LATIN1, "40-odd.rules": XFF}}
    host_vars = {}
    for host, files in fleet.items():
        rules_dir = _tree(sandbox, host, files)
        host_vars[host] = {"auditkit_rules_dir": rules_dir,
                           "auditkit_compiled_file": os.path.join(os.path.dirname(rules_dir), "audit.rules")}
    hosts = inventory(os.path.join(sandbox, "hosts.ini"), host_vars)
    with open(hosts, "a") as handle:
        handle.write("[all:vars]\nauditkit_profile=stig_al2023\nauditkit_arch=x86_64\nauditkit_read_kernel=false\n"
                     "auditkit_load=false\nauditkit_become=false\n")
    report_dir = os.path.join(sandbox, "report")
    done, results = run_playbook(sandbox, "auditkit.auditd.drift_report", hosts,
                                 args=["-e", json.dumps({"auditkit_report_dir": report_dir})])
    assert done.returncode == 0, done.stdout[-5000:]
    for host in fleet:
        assert [t for t, r in results[host].items() if r["status"] not in ("ok", "skipped")] == [], results[host]

    with open(os.path.join(report_dir, "report.json")) as handle:
        report = json.load(handle)
    jsonschema.validate(report, _schema("report.schema.json"))
    statuses = dict((h["name"], dict((c["id"], c["status"]) for c in h["controls"])) for h in report["hosts"])
    assert statuses["h-latin1"]["V-274091"] == "pass" and statuses["h-ff"]["V-274091"] == "pass"
    for host in fleet:
        with open(os.path.join(report_dir, host + ".cklb")) as handle:
            jsonschema.validate(json.load(handle), _schema("cklb.schema.json"))
    ET.parse(os.path.join(report_dir, "junit.xml"))
    with open(os.path.join(report_dir, "report.csv"), newline="") as handle:
        assert set(row["host"] for row in csv.DictReader(handle)) == set(fleet)
    for name in ("summary.md", "report.html"):
        with open(os.path.join(report_dir, name), encoding="utf-8") as handle:
            text = handle.read()
        assert "h-latin1" in text and "h-ff" in text
    assert "\udce9" not in json.dumps(report)
    assert BIN and COLLECTIONS  # the collection under test is this working tree
