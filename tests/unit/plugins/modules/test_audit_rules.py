# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_rules through main() on real temporary rules directories: check, apply, check, apply;
diff, bytes, modes, backups, refusals that leave every file untouched."""
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.modules import audit_rules

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
DELETE = "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"
BASE = "## site rules\r\n-D\n-b 8192\n\t# tabbed comment\n-a always,exit -F arch=b64 -S init_module -F auid>=1000 " \
       "-F auid!=-1 -k x\n-e 1\n"


def _tree_state(rules_tree):
    """Every entry of the rules directory: symlink target, or bytes and mode (dirs: None)."""
    state = {}
    for path in rules_tree.rules_dir.iterdir():
        if path.is_symlink():
            state[path.name] = ("link", os.readlink(str(path)))
        elif path.is_dir():
            state[path.name] = ("dir", None)
        else:
            state[path.name] = (path.read_bytes(), oct(path.stat().st_mode))
    return state


def test_check_apply_check_apply(run_module, rules_tree):
    rules_tree.write({"audit.rules": BASE})
    args = rules_tree.args(rules=[INIT, DELETE, KMOD])

    planned = run_module(audit_rules, check=True, diff=True, **args)
    assert planned["changed"] and rules_tree.read("audit.rules") == BASE  # check mode writes nothing
    assert [a["rule"] for a in planned["added"]] == [
        "-a always,exit -F arch=b64 -S finit_module -F auid>=1000 -F auid!=unset -k module_chng", DELETE, KMOD]

    applied = run_module(audit_rules, diff=True, **args)
    assert applied["changed"] and applied["reload_required"] and applied["added"] == planned["added"]
    assert applied["diff"] == planned["diff"]
    assert applied["diff"][0]["before"] == BASE and applied["diff"][0]["after"] == rules_tree.read("audit.rules")
    expected = BASE.replace("-e 1\n", "%s\n%s\n%s\n-e 1\n" % (planned["added"][0]["rule"], DELETE, KMOD))
    assert rules_tree.read("audit.rules") == expected
    assert rules_tree.mode("audit.rules") == "0o600"
    assert [r["status"] for r in applied["requirements"]] == ["pass", "pass", "pass"]

    again = run_module(audit_rules, check=True, diff=True, **args)
    assert not again["changed"] and again["added"] == [] and "diff" not in again
    final = run_module(audit_rules, **args)
    assert not final["changed"] and not final["reload_required"] and rules_tree.read("audit.rules") == expected


def test_new_dedicated_file_with_mode(run_module, rules_tree):
    rules_tree.write({"10-base.rules": "-D\n"})
    dest = str(rules_tree.rules_dir / "50-mod.rules")
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT], dest=dest, mode="0640"))
    assert result["changed"] and rules_tree.read("50-mod.rules") == INIT + "\n"
    assert rules_tree.mode("50-mod.rules") == "0o640" and rules_tree.read("10-base.rules") == "-D\n"
    assert sorted(os.listdir(str(rules_tree.rules_dir))) == ["10-base.rules", "50-mod.rules"]  # no temp files left


def test_mode_is_enforced_on_an_existing_file(run_module, rules_tree):
    rules_tree.write({"audit.rules": INIT + "\n"})
    os.chmod(str(rules_tree.rules_dir / "audit.rules"), 0o644)
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT]))
    assert result["changed"] and result["added"] == [] and rules_tree.mode("audit.rules") == "0o600"


def test_unrelated_bytes_survive(run_module, rules_tree):
    odd = b"-D\r\n# caf\xe9 \xff\n\t-b 1\n" + b"# " + b"x" * 100000 + b"\n"
    (rules_tree.rules_dir / "audit.rules").write_bytes(odd)
    run_module(audit_rules, **rules_tree.args(rules=[DELETE]))
    assert (rules_tree.rules_dir / "audit.rules").read_bytes() == odd + DELETE.encode() + b"\n"


def test_backup(run_module, rules_tree):
    rules_tree.write({"audit.rules": BASE})
    result = run_module(audit_rules, **rules_tree.args(rules=[DELETE], backup=True))
    backup = result["backup_file"]
    assert open(backup, newline="").read() == BASE and not backup.endswith(".rules")
    assert oct(os.stat(backup).st_mode & 0o777) == "0o600"


def test_absent_from_dest_then_everywhere(run_module, rules_tree):
    spelled = "-a always,exit -F arch=b64 -S finit_module,init_module -F auid!=-1 -F auid>=1000 -k other"
    rules_tree.write({"audit.rules": "# top\n%s\n-w /etc/passwd -p wa\n" % spelled, "30.rules": INIT + "\n"})
    args = rules_tree.args(rules=[INIT], state="absent")
    result = run_module(audit_rules, diff=True, **args)
    assert result["changed"] and [r["line"] for r in result["removed"]] == [2]
    assert rules_tree.read("audit.rules") == "# top\n-w /etc/passwd -p wa\n" and rules_tree.read("30.rules") == INIT + "\n"
    assert result["requirements"][0]["status"] == "pass"  # still covered by 30.rules
    everywhere = run_module(audit_rules, **dict(args, remove_everywhere=True))
    assert everywhere["changed"] and rules_tree.read("30.rules") == ""
    assert everywhere["requirements"][0]["status"] == "fail"
    assert not run_module(audit_rules, **dict(args, remove_everywhere=True))["changed"]


@pytest.mark.parametrize("rules, reason", [
    ([INIT, "-e 0"], "rules[1]"),
    ([INIT + "\n-D"], "newline"),
    ([INIT + "\x00"], "NUL"),
    (["-e 2"], "-e is a setting"),
    (["-D"], "-D is a setting"),
    (["-b 8192"], "-b is a setting"),
    (["-f 0"], "-f is a setting"),
    (["-a never,task"], "never"),
    (["-a task,never"], "never"),
    (["-a never,exit -F arch=b64 -S init_module"], "never"),
    (["-w /etc/passwd -p wa; rm -rf /"], "use the letters r, w, x and a"),
    (["-w /etc/passwd -p wa -k x; rm -rf /"], "unexpected word"),
    (["-w /etc/passwd -p wa `reboot`"], "unexpected word"),
    ([INIT] * 1001, "limit is 1000"),
    (["-w /" + "a" * 5000 + " -p x"], "limit is 4096"),
    (["-a always,exit -F arch=b64 -S init_modul"], "unknown syscall"),
    (["-w /no-such-dir-anywhere/insmod -p x"], "does not exist here"),
    (["-a always,exit -F arch=b64 -S init_module -F uid=no-such-user-here"], "unknown user"),
    (["-a always,exit -F arch=b64 -S init_module $(reboot)"], "unexpected word"),
])
def test_refused_input_writes_nothing(run_module, rules_tree, rules, reason):
    rules_tree.write({"audit.rules": BASE})
    before = _tree_state(rules_tree)
    result = run_module(audit_rules, **rules_tree.args(rules=rules))
    assert result["failed"] and reason in result["msg"]
    assert _tree_state(rules_tree) == before


@pytest.mark.parametrize("dest, reason", [
    ("{tmp}/elsewhere.rules", "not directly inside"),
    ("{rules_dir}/../escape.rules", "must not contain '..' segments"),
    ("relative/audit.rules", "must be an absolute path"),
    ("{rules_dir}/notes.txt", "must be a visible *.rules file"),
    ("{rules_dir}/.hidden.rules", "must be a visible *.rules file"),
    ("{rules_dir}/link.rules", "not directly inside"),
    ("{rules_dir}/sub.rules", "is a directory"),
])
def test_bad_dest_is_refused(run_module, rules_tree, tmp_path, dest, reason):
    rules_tree.write({"audit.rules": BASE})
    os.symlink(str(tmp_path / "outside.rules"), str(rules_tree.rules_dir / "link.rules"))
    (rules_tree.rules_dir / "sub.rules").mkdir()
    before = _tree_state(rules_tree)
    result = run_module(audit_rules, **rules_tree.args(
        rules=[INIT], dest=dest.format(tmp=tmp_path, rules_dir=rules_tree.rules_dir)))
    assert result["failed"] and reason in result["msg"], result["msg"]
    assert _tree_state(rules_tree) == before and not (tmp_path / "outside.rules").exists()


def test_symlinked_dest_inside_rules_dir_edits_the_target(run_module, rules_tree):
    rules_tree.write({"real.rules": "-D\n"})
    os.symlink("real.rules", str(rules_tree.rules_dir / "audit.rules"))
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT]))
    assert result["dest"] == str(rules_tree.rules_dir / "real.rules")
    assert os.path.islink(str(rules_tree.rules_dir / "audit.rules")) and rules_tree.read("real.rules") == "-D\n" + INIT + "\n"


@pytest.mark.parametrize("option, value, reason", [
    ("rules_dir", "{rules_dir}/../rules.d", "must not contain '..'"),
    ("rules_dir", "etc/audit/rules.d", "must be an absolute path"),
    ("compiled_file", "/etc/audit/../audit.rules", "must not contain '..'"),
    ("rules_dir", "{rules_dir}\n-e 0", "control character"),
])
def test_hostile_paths_are_refused(run_module, rules_tree, option, value, reason):
    rules_tree.write({"audit.rules": BASE})
    before = _tree_state(rules_tree)
    args = rules_tree.args(rules=[INIT])
    args[option] = value.format(rules_dir=rules_tree.rules_dir)
    result = run_module(audit_rules, **args)
    assert result["failed"] and reason in result["msg"] and _tree_state(rules_tree) == before


def test_missing_rules_dir(run_module, tmp_path):
    result = run_module(audit_rules, rules_dir=str(tmp_path / "nope"), rules=[INIT], arch="x86_64")
    assert result["failed"] and "does not exist" in result["msg"] and str(tmp_path / "nope") in result["msg"]


def test_allowed_settings_and_never_rules(run_module, rules_tree):
    rules_tree.write({"audit.rules": "-b 320\n"})
    args = rules_tree.args(rules=["-b 8192", "-a never,exit -F arch=b64 -S all -F auid=unset"],
                           allow_control_lines=True, allow_never=True)
    assert run_module(audit_rules, **args)["changed"]
    assert rules_tree.read("audit.rules") == "-b 320\n-b 8192\n-a never,exit -F arch=b64 -S all -F auid=unset\n"
    assert not run_module(audit_rules, **args)["changed"]


def test_suppressed_requirement_is_not_rewritten_and_reported(run_module, rules_tree):
    rules_tree.write({"10-base.rules": "-D\n-a task,never\n", "audit.rules": INIT + "\n"})
    result = run_module(audit_rules, **rules_tree.args(rules=[INIT]))
    assert not result["changed"]
    assert result["requirements"][0]["status"] == "fail" and "suppressed" in result["requirements"][0]["reason"]


def test_not_applicable_syscalls_are_skipped(run_module, rules_tree):
    rules = ["-a always,exit -F arch=b64 -S init_module,create_module -k m"]
    result = run_module(audit_rules, **rules_tree.args(rules=rules, arch="aarch64"))
    assert rules_tree.read("audit.rules") == "-a always,exit -F arch=b64 -S init_module -k m\n"
    assert result["requirements"][0]["notes"] == ["create_module: not on aarch64, not required there"]


def test_remove_suppressing_rules_then_write(run_module, rules_tree):
    base = "-D\n-a task,never\n-b 8192\n"
    rules_tree.write({"10-base.rules": base, "20.rules": "-a never,exit -F arch=b64 -S delete_module\n-w /etc -p wa\n"})
    args = rules_tree.args(rules=[INIT, DELETE], remove_suppressing=True)
    result = run_module(audit_rules, diff=True, **args)
    assert sorted((r["file"].rsplit("/", 1)[1], r["line"]) for r in result["removed"]) == [("10-base.rules", 2),
                                                                                           ("20.rules", 1)]
    assert rules_tree.read("10-base.rules") == "-D\n-b 8192\n" and rules_tree.read("20.rules") == "-w /etc -p wa\n"
    assert rules_tree.read("audit.rules") == INIT + "\n" + DELETE + "\n"
    assert [r["status"] for r in result["requirements"]] == ["pass", "pass"]
    assert len(result["diff"]) == 3
    assert not run_module(audit_rules, **args)["changed"]


def test_directory_watch_is_idempotent(run_module, rules_tree, tmp_path):
    watched = tmp_path / "watched"
    watched.mkdir()
    args = rules_tree.args(rules=["-w %s -p wa -k x" % watched])
    assert run_module(audit_rules, **args)["changed"]
    second = run_module(audit_rules, **args)
    assert not second["changed"] and second["requirements"][0]["status"] == "pass"
    assert rules_tree.read("audit.rules").count(str(watched)) == 1


def test_user_names_are_judged_as_numbers_right_after_writing(run_module, rules_tree):
    rule = "-a always,exit -F arch=b64 -S init_module -F euid=nobody -k x"
    first = run_module(audit_rules, **rules_tree.args(rules=[rule]))
    assert first["changed"] and first["requirements"][0]["status"] == "pass"
    assert rules_tree.read("audit.rules") == rule + "\n"
    assert not run_module(audit_rules, **rules_tree.args(rules=[rule]))["changed"]


def test_absent_removes_rules_the_host_can_no_longer_load(run_module, rules_tree):
    gone = "-w /no-such-dir-anywhere/insmod -p x -k modules"
    rules_tree.write({"audit.rules": "-D\n%s\n" % gone})
    result = run_module(audit_rules, **rules_tree.args(rules=[gone], state="absent"))
    assert result["changed"] and rules_tree.read("audit.rules") == "-D\n"


def test_io_uring_requirement_refused_where_auditctl_lacks_the_list(run_module, rules_tree, monkeypatch):
    monkeypatch.setattr(H, "auditctl_version", lambda _module: (3, 0, 9))
    rules_tree.write({"10.rules": ""})
    result = run_module(audit_rules, **rules_tree.args(rules=["-a always,io_uring -S openat -k x"]))
    assert result["failed"] and "auditctl 3.0.9 does not know the io_uring list" in result["msg"], result
    assert rules_tree.read("10.rules") == ""


def test_partly_covered_io_uring_requirement(run_module, rules_tree, monkeypatch):
    # the io_uring list needs auditctl 3.1.2 or later (audit_versions.py): pretend the host has it
    monkeypatch.setattr(H, "auditctl_version", lambda _module: (3, 1, 2))
    rules_tree.write({"10.rules": "-a always,io_uring -S openat -k x\n"})
    result = run_module(audit_rules, **rules_tree.args(rules=["-a always,io_uring -S openat,timeout -k x"]))
    assert not result.get("failed"), result
    assert result["added"][0]["rule"] == "-a always,io_uring -S timeout -k x"
