# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The security claims of docs/reliability.md, each checked: the owner of a rewritten file is
kept, the compiled file's mode (0640 when we create it; an existing file keeps its mode),
commands only as argument lists, and results that carry no file text beyond what they judge."""
import ast
import json
import os
import sys

import pytest

from ansible.module_utils import basic
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info, audit_rules_load
from conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "tests", "kernel"))
from kernel_helpers import KernelGuard, loaded_lines  # noqa: E402  pylint: disable=wrong-import-position

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
DELETE = "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"
SECRET = "# site secret: ticket SEC-4711 hunter2"


def test_rewrite_keeps_owner_and_group(run_module, rules_tree):
    if os.geteuid() != 0:
        pytest.skip("not root: chown to another user needs root")
    rules_tree.write({"50-site.rules": "-D\n"})
    path = str(rules_tree.rules_dir / "50-site.rules")
    os.chown(path, 4321, 8765)
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT], dest=path))
    assert result["changed"] and rules_tree.read("50-site.rules") == "-D\n" + INIT + "\n"
    info = os.stat(path)
    assert (info.st_uid, info.st_gid) == (4321, 8765)
    new = str(rules_tree.rules_dir / "60-new.rules")
    run_module(audit_rules, **rules_tree.args(rules=[DELETE], dest=new))
    assert (os.stat(new).st_uid, os.stat(new).st_gid) == (os.geteuid(), os.getegid())  # a new file: the runner's


@pytest.fixture
def kernel():
    guard = KernelGuard()  # skips without a usable kernel audit subsystem; takes the machine-wide lock
    yield guard
    guard.restore()


def test_compiled_file_mode(kernel, run_module, rules_tree):
    """Our own augenrules (non-default paths) creates the compiled file 0640, as augenrules does.
    An existing compiled file keeps its mode and owner on rewrite (augenrules itself runs
    chmod 0640 every time): here an 0600 file stays 0600."""
    rules_tree.write({"10-base.rules": "-D\n-a always,exit -F arch=b64 -S openat -F auid=4243 -k auditkit-claims\n"})
    args = rules_tree.args()
    args.pop("arch")
    assert not rules_tree.compiled.exists()
    loaded = run_module(audit_rules_load, **args)
    assert loaded["loaded"], loaded
    assert oct(os.stat(str(rules_tree.compiled)).st_mode & 0o7777) == "0o640"

    rules_tree.write({"10-base.rules": "-D\n-a always,exit -F arch=b64 -S openat -F auid=4244 -k auditkit-claims\n"})
    os.chmod(str(rules_tree.compiled), 0o600)
    os.chown(str(rules_tree.compiled), 0, 8765)  # auditctl -R refuses a file root does not own
    again = run_module(audit_rules_load, **args)
    assert again["loaded"] and "auid=4244" in rules_tree.compiled.read_text(), (again.get("msg"), again.get("reason"))
    info = os.stat(str(rules_tree.compiled))
    assert (info.st_mode & 0o7777, info.st_uid, info.st_gid) == (0o600, 0, 8765)
    assert any("auid=4244" in line for line in loaded_lines())


def test_failed_load_restores_the_compiled_file_byte_for_byte(kernel, run_module, rules_tree):
    """A load that fails part-way with rollback: the kernel as before and the compiled file's
    exact bytes (including bytes that are not UTF-8), mode and owner."""
    before_kernel = loaded_lines()
    compiled = b"# compiled by hand \xff\xfe caf\xe9\n-D\n"
    rules_tree.compiled.write_bytes(compiled)
    os.chmod(str(rules_tree.compiled), 0o604)
    os.chown(str(rules_tree.compiled), 0, 8765)
    bad = "-a always,exit -F arch=b64 -S openat -F uid=no-such-user-auditkit -k bad"
    rules_tree.write({"10-base.rules": "-D\n" + INIT + "\n" + bad + "\n"})
    args = rules_tree.args(validate=False)
    args.pop("arch")
    result = run_module(audit_rules_load, **args)
    assert result["failed"] and result["rolled_back"] and "every file written is back" in result["msg"], result
    assert "no-such-user-auditkit" in result["msg"]  # failed for the bad line, not for anything else
    assert rules_tree.compiled.read_bytes() == compiled
    info = os.stat(str(rules_tree.compiled))
    assert (info.st_mode & 0o7777, info.st_uid, info.st_gid) == (0o604, 0, 8765)
    assert loaded_lines() == before_kernel


def _run_command_calls():
    """Every .run_command(...) call in plugins/: (file, line, first argument node, keywords)."""
    calls = []
    for folder in ("modules", "module_utils"):
        directory = os.path.join(ROOT, "plugins", folder)
        for name in sorted(os.listdir(directory)):
            if not name.endswith(".py"):
                continue
            with open(os.path.join(directory, name)) as handle:
                tree = ast.parse(handle.read())
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "run_command":
                    calls.append((name, node.lineno, node.args[0], [k.arg for k in node.keywords]))
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                    assert not [m for m in modules if m.split(".")[0] in ("subprocess", "pty")], (name, modules)
                if isinstance(node, ast.Attribute) and node.attr in ("system", "popen", "spawnl", "execv"):
                    assert getattr(node.value, "id", None) != "os", (name, node.lineno)
    return calls


def test_commands_are_argument_lists_statically():
    calls = _run_command_calls()
    assert len(calls) >= 5  # auditctl -s, -l, -R, rollback, augenrules --load
    for name, line, first, keywords in calls:
        assert isinstance(first, (ast.List, ast.Name)), (name, line)  # a literal list or the list built by _command
        assert "use_unsafe_shell" not in keywords, (name, line)


def test_commands_are_argument_lists_at_run_time(run_module, rules_tree, monkeypatch):
    """The commands the modules really run (auditctl -s and -l; augenrules/auditctl for a
    check-mode load) reach run_command as lists, never with a shell."""
    seen = []
    real = basic.AnsibleModule.run_command

    def recording(self, args, *rest, **kwargs):
        seen.append((args, kwargs.get("use_unsafe_shell", False)))
        return real(self, args, *rest, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, "run_command", recording)
    rules_tree.write({"10-base.rules": "-D\n" + INIT + "\n"})
    args = rules_tree.args()
    args.pop("arch")
    run_module(audit_rules_info, rules=[INIT], **args)
    run_module(audit_rules_load, check=True, **args)
    if not seen:
        pytest.skip("no command ran here (no auditctl, or not root)")
    assert all(isinstance(command, list) and not shell for command, shell in seen), seen


def test_results_carry_no_file_text_beyond_what_they_judge(run_module, rules_tree):
    """audit_rules returns the lines it added or removed; whole file text only in diff mode."""
    rules_tree.write({"10-base.rules": "-D\n" + SECRET + "\n", "audit.rules": SECRET + "\n-b 8192\n"})
    plain = run_module(audit_rules, **rules_tree.args(rules=[INIT]))
    assert plain["changed"] and [a["rule"] for a in plain["added"]] == [INIT]
    assert "hunter2" not in json.dumps(plain) and "-b 8192" not in json.dumps(plain)
    diffed = run_module(audit_rules, diff=True, **rules_tree.args(rules=[DELETE]))
    assert "hunter2" in json.dumps(diffed["diff"])
    del diffed["diff"]
    assert "hunter2" not in json.dumps(diffed)
