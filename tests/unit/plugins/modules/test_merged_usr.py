# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Merged /usr (issue 12): a watch spelled through another path to the same directory entry
covers a requirement when the host's facts say so (the parent directories resolve to the same
inode), on a real temporary tree in both layouts, and on this host."""
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
SEEDS = os.path.join(ROOT, "tests", "fixtures", "seeds")


@pytest.fixture(params=["merged", "split"])
def layout(request, tmp_path):
    """A root with usr/sbin and usr/bin, and sbin, bin either symlinks into usr (merged) or
    directories of their own (split)."""
    root = tmp_path / "root"
    for name in ("sbin", "bin"):
        (root / "usr" / name).mkdir(parents=True)
        if request.param == "merged":
            (root / name).symlink_to("usr/" + name)
        else:
            (root / name).mkdir()
    return request.param, root


def _judge(run_module, tmp_path, root, required, on_disk):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "audit.rules").write_text("\n".join(on_disk) + "\n")
    result = run_module(audit_rules_info, rules_dir=str(rules_dir), compiled_file=str(tmp_path / "audit.rules"),
                        arch="x86_64", loaded=False, rules=required)
    return result["requirements"][0]


def test_watch_through_the_other_path_covers_on_merged_usr_only(run_module, tmp_path, layout):
    kind, root = layout
    requirement = _judge(run_module, tmp_path, root, ["-w %s/usr/sbin/insmod -p x -k modules" % root],
                         ["-w %s/sbin/insmod -p x -k modules" % root])
    if kind == "merged":
        assert requirement["status"] == "pass", requirement
        assert any("name the same directory entry" in note for note in requirement["notes"])
    else:
        assert requirement["status"] == "fail" and not requirement["notes"], requirement


def test_path_field_through_the_other_path_covers_on_merged_usr_only(run_module, tmp_path, layout):
    kind, root = layout
    required = "-a always,exit -F path=%s/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules" % root
    requirement = _judge(run_module, tmp_path, root, [required], [required.replace("/usr/bin/", "/bin/")])
    assert requirement["status"] == ("pass" if kind == "merged" else "fail"), requirement


def test_another_file_in_the_same_directory_does_not_cover(run_module, tmp_path, layout):
    _kind, root = layout
    requirement = _judge(run_module, tmp_path, root, ["-w %s/usr/sbin/insmod -p x -k modules" % root],
                         ["-w %s/sbin/rmmod -p x -k modules" % root])
    assert requirement["status"] == "fail"


def test_same_entry_decision_from_host_facts():
    paths = {
        "/sbin/insmod": {"parent_id": [1, 20]},
        "/usr/sbin/insmod": {"parent_id": [1, 20]},
        "/usr/sbin/rmmod": {"parent_id": [1, 20]},
        "/opt/sbin/insmod": {"parent_id": [1, 99]},
        "/gone/insmod": {"parent_id": None},
    }
    assert N.same_entry_paths("/usr/sbin/insmod", paths) == ["/sbin/insmod"]
    assert N.same_entry_paths("/sbin/insmod", paths) == ["/usr/sbin/insmod"]
    assert N.same_entry_paths("/gone/insmod", paths) == [] and N.same_entry_paths("/unknown", paths) == []


def test_this_host_cis_rhel7_sbin_watches_meet_cis_rhel8_usr_sbin_watches(run_module, rules_tree):
    """The real host: CIS RHEL 8 v1.0.1 asks for -w /usr/sbin/{insmod,rmmod,modprobe}; the CIS
    RHEL 7 seed text writes -w /sbin/...; they are one requirement exactly where /sbin and
    /usr/sbin are one directory (Debian 12, RHEL 9, AL2023: merged /usr)."""
    with open(os.path.join(SEEDS, "cis_rhel7_v3_4.1.16_64bit.rules")) as handle:
        rules_tree.write({"modules.rules": handle.read()})
    result = run_module(audit_rules_info, **rules_tree.args(profile="cis_rhel8_v1", loaded=False))
    merged = os.path.samefile("/sbin", "/usr/sbin")
    watches = [r for r in result["requirements"] if r["rule"].startswith("-w ")]
    assert len(watches) == 3
    assert [r["status"] for r in watches] == ["pass" if merged else "fail"] * 3
    assert result["controls"][0]["status"] == ("pass" if merged else "fail")


def test_remediation_adds_no_second_spelling_on_merged_usr(run_module, tmp_path, layout):
    kind, root = layout
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "audit.rules").write_text("-w %s/sbin/insmod -p x -k modules\n" % root)
    (rules_dir / "audit.rules").chmod(0o600)
    result = run_module(audit_rules, rules_dir=str(rules_dir), compiled_file=str(tmp_path / "audit.rules"),
                        arch="x86_64", rules=["-w %s/usr/sbin/insmod -p x -k modules" % root],
                        dest=str(rules_dir / "audit.rules"))
    assert result["changed"] == bool(result["added"]) == (kind == "split"), result
    assert ("usr/sbin/insmod" in (rules_dir / "audit.rules").read_text()) == (kind == "split")
