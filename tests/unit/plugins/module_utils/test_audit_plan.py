# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planning edits: only what is missing, where it goes, and every other byte kept."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_plan as PL
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
DELETE = "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"
DEST = "/r/audit.rules"


def _snapshot(files):
    return N.Snapshot("x86_64", rules_dir="/r", files=[R.RulesFile(path, text) for path, text in files])


def _present(files, rules, dest_text, controls=None):
    snapshot = _snapshot(files)
    requirements = Q.parse_requirements(rules, "x86_64", controls=controls, allow_control=True)
    return PL.plan_present(requirements, snapshot, DEST, dest_text)


def test_only_the_missing_syscall_is_written_before_the_trailing_e_line():
    text = "## mine\r\n-D\n-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=-1\n-e 2\n"
    plan = _present([(DEST, text)], [INIT], text)
    assert plan.texts[DEST] == ("## mine\r\n-D\n-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=-1\n"
                                "-a always,exit -F arch=b64 -S finit_module -F auid>=1000 -F auid!=unset "
                                "-k module_chng\n-e 2\n")
    assert plan.added[0]["line"] == 4


def test_covered_elsewhere_means_nothing_to_write():
    other = ("/r/30-stig.rules", "-a exit,always -F arch=b64 -S finit_module,init_module -F auid!=-1 "
                                 "-F auid>=1000 -k x\n")
    plan = _present([other], [INIT], None)
    assert not plan.changed and plan.kept == [INIT]


def test_new_file_gets_marker_comments_per_control_set():
    plan = _present([], [INIT, DELETE, "-b 8192"], None, controls={0: ["V-1"], 1: ["V-1"], 2: ["V-2"]})
    assert plan.texts[DEST] == "# auditkit.auditd: V-1\n%s\n%s\n# auditkit.auditd: V-2\n-b 8192\n" % (INIT, DELETE)


def test_setting_already_in_effect_is_kept():
    plan = _present([("/r/10.rules", "-b 8192\n")], ["-b 8192"], None)
    assert not plan.changed


def test_duplicate_requirements_are_written_once():
    plan = _present([], [INIT, INIT], None)
    assert plan.texts[DEST] == INIT + "\n" and len(plan.added) == 1


def test_missing_final_newline_is_added_before_appending():
    plan = _present([(DEST, "-D")], [DELETE], "-D")
    assert plan.texts[DEST] == "-D\n%s\n" % DELETE


def test_absent_removes_equivalent_lines_and_orphaned_markers_only():
    text = ("# keep me\n# auditkit.auditd: V-1\n"
            "-a always,exit -F arch=b64 -S finit_module,init_module -F auid!=-1 -F auid>=1000 -k other\n"
            "\n-w /etc/passwd -p wa\n")
    snapshot = _snapshot([(DEST, text)])
    plan = PL.plan_absent(Q.parse_requirements([INIT], "x86_64"), snapshot, [DEST])
    assert plan.texts[DEST] == "# keep me\n\n-w /etc/passwd -p wa\n"
    assert plan.removed[0]["line"] == 3


def test_absent_leaves_other_files_unless_asked():
    snapshot = _snapshot([(DEST, INIT + "\n"), ("/r/other.rules", INIT + "\n")])
    requirements = Q.parse_requirements([INIT], "x86_64")
    assert list(PL.plan_absent(requirements, snapshot, [DEST]).texts) == [DEST]
    assert sorted(PL.plan_absent(requirements, snapshot, [DEST, "/r/other.rules"]).texts) == [DEST, "/r/other.rules"]


def test_chunks_split_on_newlines_only():
    assert PL.chunks("a\x0bb\r\nc\u2028d") == ["a\x0bb\r\n", "c\u2028d"]


def test_plan_of_changes_rebuilds_what_audit_rules_reported():
    """audit_rules_load --check predicts against these texts: removed lines dropped by number,
    added rules before the trailing -e line, a new file created, other files untouched."""
    text = "-D\n-a never,task\n-e 1"
    snapshot = _snapshot([(DEST, text), ("/r/10.rules", "-b 8192\n")])
    plan = PL.plan_of_changes(snapshot, added=[{"file": DEST, "rule": INIT}, {"file": "/r/new.rules", "rule": DELETE}],
                              removed=[{"file": DEST, "line": 2, "rule": "-a never,task"}])
    assert plan.texts == {DEST: "-D\n%s\n-e 1\n" % INIT, "/r/new.rules": DELETE + "\n"}
    after = PL.apply_plan(snapshot, plan)
    assert [f.path for f in after.files] == ["/r/10.rules", DEST, "/r/new.rules"]  # augenrules order


@pytest.mark.parametrize("ls_version, order", [
    ((8, 32), ["/r/30-stig.8.rules", "/r/30-stig..rules"]),   # the order of coreutils 8.32's ls -v
    ((9, 1), ["/r/30-stig..rules", "/r/30-stig.8.rules"]),
    (None, ["/r/30-stig..rules", "/r/30-stig.8.rules"]),
])
def test_a_planned_new_file_takes_its_place_in_the_order_of_the_hosts_ls(ls_version, order):
    snapshot = _snapshot([("/r/30-stig..rules", "-b 8192\n")]).replace(ls_version=ls_version)
    plan = PL.plan_of_changes(snapshot, added=[{"file": "/r/30-stig.8.rules", "rule": DELETE}])
    assert [f.path for f in PL.apply_plan(snapshot, plan).files] == order
