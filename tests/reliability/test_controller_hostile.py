# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Defects of issue 23 as a user meets them, through ansible-playbook: symlinked rules files
that a rewrite must write through (or refuse), never replace (docs/reliability.md)."""
import json
import os
import shutil

import pytest
from controller import broken, inventory, picture, run_playbook, world_readable_dir

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
NEVER = "-a never,exit -F arch=b64 -S init_module,finit_module"
VENDOR = ("# vendor rules\n%s\n-w /etc/passwd -p wa -k identity\n" % NEVER).encode()


@pytest.fixture
def sandbox():
    path = world_readable_dir("auditkit-hostile-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _write_task(sandbox, rules_dir, **args):
    """One audit_rules task on host h1; (task result, the rules directory's picture after)."""
    module_args = dict(dict(rules_dir=rules_dir, compiled_file=os.path.join(sandbox, "audit.rules"), arch="x86_64",
                            rules=[INIT], remove_suppressing=True), **args)
    playbook = os.path.join(sandbox, "write.yml")
    with open(playbook, "w") as handle:
        handle.write("- name: Write\n  hosts: fleet\n  gather_facts: false\n  tasks:\n    - name: Write\n"
                     "      auditkit.auditd.audit_rules: %s\n" % json.dumps(module_args))
    _done, results = run_playbook(sandbox, playbook, inventory(os.path.join(sandbox, "hosts.ini"), {"h1": {}}))
    return results["h1"]["Write"]


def _linked_tree(sandbox, target_dir):
    """rules.d/05-vendor.rules -> <target_dir>/vendor.rules, which holds a never rule."""
    rules_dir = os.path.join(sandbox, "rules.d")
    os.makedirs(target_dir)
    os.makedirs(rules_dir, exist_ok=True)
    with open(os.path.join(target_dir, "vendor.rules"), "wb") as handle:
        handle.write(VENDOR)
    os.symlink(os.path.relpath(os.path.join(target_dir, "vendor.rules"), rules_dir),
               os.path.join(rules_dir, "05-vendor.rules"))
    return rules_dir


def test_a_link_out_of_rules_dir_is_refused_and_nothing_is_written(sandbox):
    """Issue 23 item 4: 05-vendor.rules -> ../vendor/vendor.rules; before the fix the failed task
    (an owner that does not exist) left a regular file in place of the link."""
    rules_dir = _linked_tree(sandbox, os.path.join(sandbox, "vendor"))
    before, vendor_before = picture(rules_dir), picture(os.path.join(sandbox, "vendor"))
    task = _write_task(sandbox, rules_dir, owner="no-such-user-auditkit")
    assert task["status"] == "failed" and broken(task) is None, task
    assert "05-vendor.rules" in task["result"]["msg"] and "outside" in task["result"]["msg"], task["result"]["msg"]
    assert picture(rules_dir) == before and picture(os.path.join(sandbox, "vendor")) == vendor_before


def test_a_link_inside_rules_dir_is_written_through_and_undone_as_a_link(sandbox):
    rules_dir = _linked_tree(sandbox, os.path.join(sandbox, "rules.d", "vendor"))
    link = os.path.join(rules_dir, "05-vendor.rules")
    before = picture(rules_dir), picture(os.path.join(rules_dir, "vendor"))
    failed = _write_task(sandbox, rules_dir, owner="no-such-user-auditkit")
    assert failed["status"] == "failed" and broken(failed) is None, failed
    assert "every file written is back" in failed["result"]["msg"], failed["result"]["msg"]
    assert (picture(rules_dir), picture(os.path.join(rules_dir, "vendor"))) == before

    written = _write_task(sandbox, rules_dir)
    assert written["status"] == "ok" and written["result"]["changed"], written
    assert os.path.islink(link) and os.readlink(link) == "vendor/vendor.rules"
    with open(link) as handle:
        assert NEVER not in handle.read()  # the never rule was removed from the link's target


def _tasks(sandbox, name, tasks):
    """A play of (task name, module, args) on h1; {task name: result as the controller took it}."""
    playbook = os.path.join(sandbox, name + ".yml")
    with open(playbook, "w") as handle:
        handle.write("- name: %s\n  hosts: fleet\n  gather_facts: false\n  tasks:\n" % name)
        for task, module, args in tasks:
            handle.write("    - name: %s\n      %s: %s\n      ignore_errors: true\n" % (task, module, json.dumps(args)))
    _done, results = run_playbook(sandbox, playbook, inventory(os.path.join(sandbox, "hosts.ini"), {"h1": {}}))
    return results["h1"]


def test_rules_beyond_the_budget_fail_naming_the_limit_and_findings_are_capped(sandbox):
    """Issue 23 item 3: 768,606 lines once took 5.3 GB and returned 426 MB. Now a directory beyond
    max_rules_lines / max_rules_bytes fails before it is parsed, naming the limit, and nothing is
    written; below it, findings (here 1,100 duplicates) are capped at 1,000 with the count left out."""
    big, dups = os.path.join(sandbox, "big.d"), os.path.join(sandbox, "dups.d")
    os.makedirs(big)
    os.makedirs(dups)
    with open(os.path.join(big, "50-big.rules"), "w") as handle:
        handle.write("".join("-a always,exit -F arch=b64 -S openat -F auid=%d -k big\n" % i for i in range(20001)))
    with open(os.path.join(dups, "50-dups.rules"), "w") as handle:
        handle.write((INIT + "\n") * 1101)
    before = picture(big)
    common = dict(compiled_file=os.path.join(sandbox, "audit.rules"), arch="x86_64")
    got = _tasks(sandbox, "budget", [
        ("info-lines", "auditkit.auditd.audit_rules_info", dict(common, rules_dir=big, profile="stig_rhel9")),
        ("info-bytes", "auditkit.auditd.audit_rules_info", dict(common, rules_dir=dups, max_rules_bytes=4096)),
        ("write", "auditkit.auditd.audit_rules", dict(common, rules_dir=big, rules=[INIT])),
        ("info-dups", "auditkit.auditd.audit_rules_info", dict(common, rules_dir=dups, rules=[INIT])),
    ])
    for task, limit in (("info-lines", "max_rules_lines=20000"), ("info-bytes", "max_rules_bytes=4096"),
                        ("write", "max_rules_lines=20000")):
        assert got[task]["status"] == "failed" and broken(got[task]) is None, got[task]
        assert limit in got[task]["result"]["msg"] and "50-" in got[task]["result"]["msg"], got[task]["result"]["msg"]
    assert picture(big) == before
    capped = got["info-dups"]["result"]
    assert got["info-dups"]["status"] == "ok" and len(capped["findings"]) == 1000, len(capped["findings"])
    assert capped["findings_left_out"] >= 100  # the 1,100 duplicate lines alone are 100 beyond the cap


def test_messages_show_undecodable_bytes_as_escapes_and_name_minus_d_only_when_there_is_one(sandbox):
    """Issue 23 item 9: a rejected word quoted with repr() showed '\\udcff\\udcfe#'; the load_stops
    finding said "after -D has cleared the kernel" for rule sets without -D."""
    without_d, with_d = os.path.join(sandbox, "without.d"), os.path.join(sandbox, "with.d")
    for directory, first in ((without_d, ""), (with_d, "-D\n")):
        os.makedirs(directory)
        with open(os.path.join(directory, "30-site.rules"), "wb") as handle:
            handle.write(first.encode() + b"-w /etc/passwd -p wa \xff\xfe#\n" + INIT.encode() + b"\n")
    common = dict(compiled_file=os.path.join(sandbox, "audit.rules"), arch="x86_64", rules=[INIT])
    got = _tasks(sandbox, "messages", [("without", "auditkit.auditd.audit_rules_info", dict(common, rules_dir=without_d)),
                                       ("with", "auditkit.auditd.audit_rules_info", dict(common, rules_dir=with_d))])
    messages = {}
    for task in ("without", "with"):
        assert got[task]["status"] == "ok" and broken(got[task]) is None, got[task]
        messages[task] = dict((f["kind"], f["message"]) for f in got[task]["result"]["findings"])
    rejected = messages["without"]["rejected_line"]
    assert "\\xff\\xfe#" in rejected and "\\udc" not in rejected, rejected
    assert "-D" not in messages["without"]["load_stops"], messages["without"]["load_stops"]
    assert "after -D has cleared the kernel" in messages["with"]["load_stops"], messages["with"]["load_stops"]


def test_load_validation_names_a_directory_or_fifo_named_rules(sandbox):
    """Issue 23 item 9: load validation skipped them silently. A FIFO would block augenrules' cat
    (at boot too): the load is refused naming it; a directory is skipped by augenrules: a warning.
    Check mode, so the kernel is only read."""
    with_dir, with_fifo = os.path.join(sandbox, "dir.d"), os.path.join(sandbox, "fifo.d")
    for directory in (with_dir, with_fifo):
        os.makedirs(directory)
        with open(os.path.join(directory, "10-base.rules"), "w") as handle:
            handle.write("-D\n%s\n" % INIT)
    os.makedirs(os.path.join(with_dir, "20-odd.rules"))
    os.mkfifo(os.path.join(with_fifo, "20-odd.rules"))
    common = dict(compiled_file=os.path.join(sandbox, "audit.rules"), arch="x86_64")
    playbook = os.path.join(sandbox, "load.yml")
    with open(playbook, "w") as handle:
        handle.write("- name: Load\n  hosts: fleet\n  gather_facts: false\n  tasks:\n")
        for task, directory in (("dir", with_dir), ("fifo", with_fifo)):
            handle.write("    - name: %s\n      auditkit.auditd.audit_rules_load: %s\n      check_mode: true\n"
                         "      ignore_errors: true\n" % (task, json.dumps(dict(common, rules_dir=directory))))
    _done, results = run_playbook(sandbox, playbook, inventory(os.path.join(sandbox, "hosts.ini"), {"h1": {}}))
    got = results["h1"]
    assert got["dir"]["status"] == "ok" and broken(got["dir"]) is None, got["dir"]
    assert any("20-odd.rules is not loaded: is a directory" in w for w in got["dir"]["result"].get("warnings", [])), \
        got["dir"]["result"]
    assert got["fifo"]["status"] == "failed" and broken(got["fifo"]) is None, got["fifo"]
    assert "20-odd.rules is a FIFO" in got["fifo"]["result"]["msg"], got["fifo"]["result"]["msg"]
