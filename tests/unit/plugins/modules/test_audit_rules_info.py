# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_rules_info through main() on real temporary rules directories: one fixture per finding."""
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules_info

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
CREATE = "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change"


@pytest.fixture
def info(run_module, rules_tree):
    def run(files, rules=(INIT,), **extra):
        rules_tree.write(files)
        return run_module(audit_rules_info, **rules_tree.args(rules=list(rules), loaded=False, **extra))
    return run


def _kinds(result):
    return sorted(set(f["kind"] for f in result["findings"]))


def _finding(result, kind):
    return next(f for f in result["findings"] if f["kind"] == kind)


def test_equivalent_spelling_passes_with_evidence(info):
    result = info({"30-stig.rules": "-D\n-a exit,always -F arch=x86_64 -S finit_module -S init_module "
                                    "-F loginuid>=1000 -F auid!=4294967295 -F key=anything\n"})
    requirement = result["requirements"][0]
    assert result["compliant"] and requirement["status"] == "pass"
    assert requirement["on_disk"]["evidence"][0]["line"] == 2
    assert requirement["on_disk"]["evidence"][0]["syscalls"] == ["init_module", "finit_module"]
    assert requirement["in_kernel"] is None and result["kernel"]["read"] is False


def test_missing_rule_fails_and_names_what_to_write(info):
    result = info({"10.rules": "-D\n"})
    requirement = result["requirements"][0]
    assert requirement["status"] == "fail" and requirement["missing"] == [INIT]
    assert result["summary"]["fail"] == 1 and not result["compliant"]


def test_commented_out_rule_is_pointed_at(info):
    result = info({"10.rules": "-D\n#" + INIT + "\n"})
    assert result["requirements"][0]["commented_out"] == [
        {"file": result["files"][0]["path"], "line": 2, "text": "#" + INIT}]


def test_equivalent_duplicate_is_a_warning(info):
    reordered = INIT.replace("-F auid>=1000 -F auid!=unset", "-F auid!=unset -F auid>=1000")
    result = info({"10.rules": INIT + "\n", "20.rules": reordered + "\n"})
    duplicate = _finding(result, "duplicate")
    assert duplicate["line"] == 1 and duplicate["file"].endswith("20.rules") and duplicate["severity"] == "warning"
    assert result["compliant"]


def test_identical_duplicate_stops_the_load_and_fails_what_follows(info):
    result = info({"10.rules": "-D\n" + INIT + "\n", "20.rules": INIT + "\n-w /usr/bin/kmod -p x -k modules\n"},
                  rules=[INIT, "-w /usr/bin/kmod -p x"])
    stop = _finding(result, "load_stops")
    assert stop["file"].endswith("20.rules") and stop["line"] == 1 and stop["not_loaded"][0]["line"] == 2
    statuses = [r["status"] for r in result["requirements"]]
    assert statuses == ["pass", "fail"]
    assert result["requirements"][1]["reason"].startswith("not loadable: auditctl -R stops at")


def test_rejected_line_before_the_rule_makes_it_fail(info):
    result = info({"10.rules": "-D\n-a always,exit -F arch=b64 -S nosuchcall\n", "30.rules": INIT + "\n"})
    assert "rejected_line" in _kinds(result) and "load_stops" in _kinds(result)
    assert "nosuchcall" in _finding(result, "rejected_line")["message"]
    assert result["requirements"][0]["status"] == "fail"
    assert result["requirements"][0]["missing"] == []  # written already; writing again would not help


def test_task_never_suppresses(info):
    result = info({"10-base.rules": "-D\n-a task,never\n", "30.rules": INIT + "\n"})
    requirement = result["requirements"][0]
    assert requirement["status"] == "fail" and requirement["on_disk"]["status"] == "suppressed"
    assert requirement["reason"].startswith("suppressed: -a task,never at")
    assert {"task_never", "suppressed"} <= set(_kinds(result))


def test_earlier_never_exit_rule_suppresses(info):
    result = info({"10.rules": "-a never,exit -F arch=b64 -S finit_module\n", "30.rules": INIT + "\n"})
    requirement = result["requirements"][0]
    assert requirement["on_disk"]["suppressed_by"][0]["syscalls"] == ["finit_module"]
    assert requirement["status"] == "fail"


def test_symlink_watch(info, tmp_path):
    tools = tmp_path / "sbin"
    tools.mkdir()
    (tools / "kmod").write_text("")
    os.symlink(str(tools / "kmod"), str(tools / "insmod"))
    watch = "-w %s -p x -k modules" % (tools / "insmod")
    result = info({"10.rules": watch + "\n"}, rules=[watch])
    assert _finding(result, "symlink_watch")["target"] == str(tools / "kmod")
    assert "is a symlink" in result["requirements"][0]["warnings"][0]


def test_compiled_file_drift(info, rules_tree):
    result = info({"10.rules": INIT + "\n"})
    assert "compiled_missing" in _kinds(result)
    rules_tree.compiled.write_text("## This file is automatically generated\n-D\n")
    assert "is not what augenrules builds" in _finding(info({}), "compiled_stale")["message"]


def test_compiled_file_matching_is_not_stale(info, rules_tree):
    rules_tree.compiled.write_text("## This file is automatically generated from x\n\n\n\n%s\n\n" % INIT)
    result = info({"10.rules": "# comment\n" + INIT + "\n"})
    assert "compiled_stale" not in _kinds(result) and "compiled_missing" not in _kinds(result)


def test_ignored_unreadable_and_invalid_files(info, rules_tree):
    (rules_tree.rules_dir / "dir.rules").mkdir()
    (rules_tree.rules_dir / "bad.rules").write_bytes(b"-a always,exit -S all -k caf\xe9\n")
    result = info({"notes.txt": "-e 0\n", ".hidden.rules": "-e 0\n", "audit.rules.1234~": INIT + "\n"})
    assert sorted(f["name"] for f in result["ignored_files"]) == [".hidden.rules", "audit.rules.1234~", "notes.txt"]
    assert {"unreadable_file", "invalid_utf8", "ignored_file"} <= set(_kinds(result))
    assert result["requirements"][0]["status"] == "fail"  # the copy in the backup file does not count


def test_settings_last_one_wins_and_e2_is_reported(info):
    result = info({"10.rules": "-b 320\n-e 1\n", "99.rules": "-b 8192\n-e 2\n"}, rules=["-b 8192", "-e 2"])
    assert result["settings"]["-b"]["value"] == 8192 and result["settings"]["-b"]["file"].endswith("99.rules")
    assert [r["status"] for r in result["requirements"]] == ["pass", "pass"]
    assert "immutable_on_disk" in _kinds(result)


def test_not_applicable_on_aarch64(info):
    result = info({"10.rules": INIT + "\n"}, rules=[INIT, CREATE], arch="aarch64")
    assert [r["status"] for r in result["requirements"]] == ["pass", "not_applicable"]
    assert "create_module does not exist on aarch64" in result["requirements"][1]["reason"]
    assert result["machine"] == "aarch64"


def test_watch_in_missing_directory_is_rejected(info):
    result = info({"10.rules": "-w /nonexistent-dir/tool -p x\n"}, rules=[])
    assert "No such file or directory" in _finding(result, "rejected_line")["message"]


def test_unknown_user_name_is_rejected(info):
    result = info({"10.rules": "-a always,exit -F arch=b64 -S init_module -F uid=no-such-user-here\n"}, rules=[])
    assert "unknown user no-such-user-here" in _finding(result, "rejected_line")["message"]


def test_auditctl_loader_judges_the_compiled_file_only(info, rules_tree):
    rules_tree.compiled.write_text(INIT + "\n")
    result = info({"10.rules": "-D\n"}, loader="auditctl")
    assert result["mode"] == "auditctl" and result["requirements"][0]["status"] == "pass"
    assert [f["path"] for f in result["files"]] == [str(rules_tree.compiled)]


def test_bad_requirement_fails_before_reading(info):
    result = info({}, rules=[INIT + "\n-e 0"])
    assert result["failed"] and "rules[0]" in result["msg"] and "newline" in result["msg"]


def test_missing_rules_dir_fails_clearly(run_module, tmp_path):
    result = run_module(audit_rules_info, rules_dir=str(tmp_path / "nope"), loaded=False, rules=[INIT])
    assert result["failed"] and str(tmp_path / "nope") in result["msg"] and "No such file" in result["msg"]


DISA_AL2023 = ("-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng\n"
               "-a always,exit -F arch=b64 -S create_module -F auid>=1000 -F auid!=unset -k module-change\n"
               "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules\n")


def test_profile_with_disa_lines_passes_and_b32_twins_are_advisory(info):
    result = info({"30-stig.rules": DISA_AL2023}, rules=[], profile="stig_al2023")
    assert [(c["id"], c["status"]) for c in result["controls"]] == [
        ("V-274091", "pass"), ("V-274092", "pass"), ("V-274093", "pass")]
    assert [a["status"] for a in result["controls"][0]["advisory"]] == ["fail"]
    assert result["compliant"] and result["summary"]["advisory_fail"] == 2
    assert result["profile"]["name"] == "stig_al2023" and result["controls"][0]["stig_id"] == "AZLX-23-002135"


def test_profile_on_aarch64_create_module_not_applicable(info):
    result = info({"30-stig.rules": DISA_AL2023}, rules=[], profile="stig_al2023", arch="aarch64")
    statuses = dict((c["id"], c["status"]) for c in result["controls"])
    # the DISA create_module line itself stops auditctl on Graviton: the kmod rule after it never loads
    assert statuses == {"V-274091": "pass", "V-274092": "not_applicable", "V-274093": "fail"}
    assert "create_module does not exist on aarch64" in result["controls"][1]["reason"]
    assert "not loadable: auditctl -R stops at" in result["controls"][2]["reason"]
    fixed = info({"30-stig.rules": DISA_AL2023.replace("create_module", "delete_module")}, rules=[],
                 profile="stig_al2023", arch="aarch64")
    assert [c["status"] for c in fixed["controls"]] == ["pass", "not_applicable", "pass"]


def test_profile_controls_subset_and_unknown_control(info):
    result = info({}, rules=[], profile="stig_rhel9", controls=["RHEL-09-654105"])
    assert [c["id"] for c in result["controls"]] == ["V-258195"] and result["controls"][0]["status"] == "fail"
    foreign = info({}, rules=[], profile="stig_rhel9", controls=["V-274091"])  # Amazon Linux 2023's
    assert [(c["id"], c["status"]) for c in foreign["controls"]] == [("V-274091", "not_applicable")]
    assert "stig_al2023" in foreign["controls"][0]["reason"] and foreign["compliant"]
    bad = info({}, rules=[], profile="stig_rhel9", controls=["V-2740911"])
    assert bad["failed"] and "did you mean V-274091" in bad["msg"]


@pytest.mark.parametrize("line", ["-e=2", "-b=8192", "# -e=2", "-D=x"])
def test_short_options_with_equals_are_rejected_lines_not_crashes(info, line):
    result = info({"10.rules": line + "\n" + INIT + "\n"})
    assert not result.get("failed"), result
    if line.startswith("#"):
        assert result["compliant"]
    else:
        assert "unknown option" in next(f for f in result["findings"] if f["kind"] == "rejected_line")["message"]
