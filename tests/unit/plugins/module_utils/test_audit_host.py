# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""audit_host without root: where the modules work (rules_target), the load command, the kernel
listing and the rollback of the kernel's rules, with a fake module whose run_command records
each call (and the rollback file as auditctl would have read it). The real kernel judges the
same paths in tests/kernel/test_modules_kernel.py and tests/reliability."""
import os

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_host as H
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_snapshot as N

AUDITCTL = "/sbin/auditctl"
RULE = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=-1 -F key=module_chng"


class FakeModule(object):
    """Enough of AnsibleModule for audit_host: run_command answers from ``answers`` ({first
    arguments: (rc, out, err)}, default (0, "", "")) and records every call in ``calls``, with
    the text of an ``auditctl -R`` file as it was when the command ran."""

    params = {}  # max_rules_bytes / max_rules_lines unset: no budget

    def __init__(self, answers=None, binaries=None):
        self.answers = answers or {}
        self.binaries = {"auditctl": AUDITCTL} if binaries is None else binaries
        self.calls = []
        self.loaded_files = []

    def get_bin_path(self, name, opt_dirs=None):
        return self.binaries.get(name)

    def run_command(self, args):
        self.calls.append(list(args))
        if args[1:2] == ["-R"] and os.path.exists(args[2]):
            with open(args[2]) as handle:
                self.loaded_files.append(handle.read())
        for length in range(len(args), 0, -1):
            if tuple(args[:length]) in self.answers:
                return self.answers[tuple(args[:length])]
        return 0, "", ""


# --- restoring the kernel's rules ---------------------------------------------------------------

def test_restore_kernel_rules_loads_minus_d_minus_c_and_the_old_listing():
    module = FakeModule()
    restored, problem = H.restore_kernel_rules(module, AUDITCTL, RULE + "\n-w /sbin/insmod -p x -k modules\n")
    assert (restored, problem) == (True, "")
    assert len(module.calls) == 1 and module.calls[0][:2] == [AUDITCTL, "-R"]
    assert module.loaded_files == ["-D\n-c\n%s\n-w /sbin/insmod -p x -k modules\n" % RULE]
    assert not os.path.exists(module.calls[0][2])  # the temporary file is gone


def test_restore_of_an_empty_kernel_clears_it():
    module = FakeModule()
    assert H.restore_kernel_rules(module, AUDITCTL, "No rules\n") == (True, "")
    assert module.loaded_files == ["-D\n-c\n"]


def test_a_failed_restore_says_why_and_leaves_no_file():
    module = FakeModule({(AUDITCTL, "-R"): (1, "", "Error sending add rule data request (Invalid argument)\n")})
    restored, problem = H.restore_kernel_rules(module, AUDITCTL, RULE + "\n")
    assert not restored and problem == "kernel rules: Error sending add rule data request (Invalid argument)"
    assert not os.path.exists(module.calls[0][2])


def test_kernel_listing_fails_with_auditctls_message():
    assert H.kernel_listing(FakeModule({(AUDITCTL, "-l"): (0, RULE + "\n", "")}), AUDITCTL) == RULE + "\n"
    with pytest.raises(H.HostError, match="auditctl -l failed: Operation not permitted"):
        H.kernel_listing(FakeModule({(AUDITCTL, "-l"): (1, "", "Operation not permitted\n")}), AUDITCTL)


# --- which command loads --------------------------------------------------------------------------

def test_load_command_uses_augenrules_only_with_the_default_paths():
    module = FakeModule(binaries={"auditctl": AUDITCTL, "augenrules": "/sbin/augenrules"})
    default = N.Snapshot("x86_64")
    assert H.load_command(module, default) == ["/sbin/augenrules", "--load"]
    elsewhere = default.replace(rules_dir="/srv/rules.d", compiled_path="/srv/audit.rules")
    assert H.load_command(module, elsewhere) == [AUDITCTL, "-R", "/srv/audit.rules"]
    assert H.load_command(module, default.replace(mode="auditctl")) == [AUDITCTL, "-R", R.DEFAULT_COMPILED_FILE]
    assert H.load_command(FakeModule(), default) == [AUDITCTL, "-R", R.DEFAULT_COMPILED_FILE]  # no augenrules


# --- where audit_rules and audit_rules_load work ----------------------------------------------------

def _params(tmp_path, **values):
    params = dict(loader="augenrules", rules_dir=str(tmp_path / "rules.d"), compiled_file=str(tmp_path / "audit.rules"),
                  dest=None)
    params.update(values)
    return params


def test_rules_target_locks_the_directory_the_loader_reads(tmp_path):
    (tmp_path / "rules.d").mkdir()
    os.symlink("rules.d", str(tmp_path / "link.d"))
    target = H.rules_target(_params(tmp_path, rules_dir=str(tmp_path / "link.d")), with_dest=True)
    assert target == H.RulesTarget("augenrules", str(tmp_path / "rules.d"), str(tmp_path / "rules.d" / "audit.rules"))
    loaded = H.rules_target(_params(tmp_path, rules_dir=str(tmp_path / "link.d")))
    assert (loaded.directory, loaded.dest) == (target.directory, None)  # audit_rules_load locks the same one
    direct = H.rules_target(_params(tmp_path, loader="auditctl"), with_dest=True)
    assert direct == H.RulesTarget("auditctl", str(tmp_path), str(tmp_path / "audit.rules"))


def test_rules_target_detects_the_loader_of_non_default_paths(tmp_path):
    target = H.rules_target(_params(tmp_path, loader="auto"))
    assert target.loader == "augenrules" and target.directory == str(tmp_path / "rules.d")


@pytest.mark.parametrize("dest, message", [
    ("rules.d/50.conf", "must be a visible *.rules file"),
    ("rules.d/.hidden.rules", "must be a visible *.rules file"),
    ("elsewhere.rules", "is not directly inside"),
    ("rules.d/sub/50.rules", "is not directly inside"),
    ("rules.d/to-conf.rules", "which is not a *.rules file"),
    ("rules.d/dir.rules", "is a directory"),
])
def test_rules_target_refuses_a_dest_augenrules_would_not_read(tmp_path, dest, message):
    (tmp_path / "rules.d" / "sub").mkdir(parents=True)
    (tmp_path / "rules.d" / "dir.rules").mkdir()
    os.symlink("other.conf", str(tmp_path / "rules.d" / "to-conf.rules"))
    with pytest.raises(H.HostError) as raised:
        H.rules_target(_params(tmp_path, dest=str(tmp_path / dest)), with_dest=True)
    assert message in str(raised.value) and str(tmp_path / dest) in str(raised.value)


# --- one snapshot, built by keyword -----------------------------------------------------------------

def test_snapshot_gathers_the_files_in_augenrules_order_and_their_path_facts(tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "10.rules").write_text("-w %s/bin/tool -p x -k t\n" % tmp_path)
    (rules_dir / "9.rules").write_text("-D\n")
    (rules_dir / "notes.txt").write_text("ignored\n")
    (tmp_path / "bin").mkdir()
    module = FakeModule({(AUDITCTL, "-v"): (1, "", "")})
    snapshot = H.snapshot(module, "x86_64", str(rules_dir), str(tmp_path / "audit.rules"), "augenrules",
                          read_kernel=False)
    assert [os.path.basename(f.path) for f in snapshot.files] == ["9.rules", "10.rules"]
    assert snapshot.skipped and snapshot.kernel is None and snapshot.compiled is None
    assert snapshot.paths["%s/bin/tool" % tmp_path]["parent_exists"] and snapshot.mode_evidence == "loader=augenrules given"
    assert module.calls == [["/bin/ls", "--version"], [AUDITCTL, "-v"]]  # no auditctl -s or -l: kernel not asked


@pytest.mark.parametrize("answer, version, order", [
    ((0, "ls (GNU coreutils) 8.32\nCopyright (C) 2020 Free Software Foundation, Inc.\n", ""), (8, 32),
     ["a.8.rules", "a..rules"]),
    ((0, "ls (GNU coreutils) 9.1\n", ""), (9, 1), ["a..rules", "a.8.rules"]),
    ((1, "", "ls: unrecognized option '--version'\nBusyBox v1.36.1\n"), None, ["a..rules", "a.8.rules"]),
], ids=["coreutils-8.32", "coreutils-9.1", "not-gnu"])
def test_snapshot_orders_rules_d_as_the_hosts_own_ls(tmp_path, answer, version, order):
    if not os.path.exists(H.AUGENRULES_LS):
        pytest.skip("no %s on this machine" % H.AUGENRULES_LS)
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    for name in order:
        (rules_dir / name).write_text("")
    module = FakeModule({(H.AUGENRULES_LS, "--version"): answer})
    snapshot = H.snapshot(module, "x86_64", str(rules_dir), str(tmp_path / "audit.rules"), "augenrules",
                          read_kernel=False)
    assert snapshot.ls_version == version
    assert [os.path.basename(f.path) for f in snapshot.files] == order
