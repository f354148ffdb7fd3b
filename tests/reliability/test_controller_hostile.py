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
