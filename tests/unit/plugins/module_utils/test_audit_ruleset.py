# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""augenrules order and compilation against the real ``ls -1v`` and the real augenrules script,
and the auditctl -R replay (stop, continue, duplicates, prepend, delete)."""
import os
import random
import shutil
import subprocess
import tarfile

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_ruleset as R
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_versions as V

AUGENRULES = shutil.which("augenrules") or "/usr/sbin/augenrules"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
VENDOR = os.path.join(os.path.dirname(ROOT), "shared", "vendor", "audit-userspace")
# The audit versions the target platforms ship (docs/platforms.md); "system" is Debian 12's 3.0.9.
PLATFORM_VERSIONS = ("2.8.5", "3.0.6", "3.0.7", "3.1.2", "3.1.5", "4.0.3")

TRICKY_NAMES = [
    "10-base-config.rules", "9-x.rules", "010-a.rules", "a.rules", "A.rules", "99-finalize.rules",
    "30-stig.rules", "30-stig-2.rules", "30-stig.10.rules", "30-stig.9.rules", "audit.rules", "_x.rules",
    "~x.rules", "z~.rules", "1.2.rules", "1.10.rules", "01.rules", "1.rules", "x-1.0~rc1.rules", "x-1.0.rules",
    "UPPER.rules", "50-kernel-modules.rules", "50-kernel_modules.rules", "0.rules", "00.rules", "a1b2.rules",
    "a01b2.rules", "1a.rules", "1-.rules", "-1.rules", "x.y.z.rules", "x.1.rules", "zz.rules", "z.rules",
    "a001.rules", "a01.rules", "a1.rules", "b01.rules", "b1.rules", "b001.rules",
]


# Names whose order differs between coreutils 8.x/9.0 and 9.1+ (a dot not followed by a letter
# ends the old suffix; the old one keeps the suffix when the names differ before it).
ORDER_CHANGED_IN_9_1 = [
    "30-stig..rules", "30-stig.8.rules", "30-stig.-2.rules", "a..rules", "a.8.rules", "x..x.rules",
    "x.x..rules", "1..rules", "1.10~.rules", "2.10_.rules", "2..~.rules", "a.a_.rules", "a..a.rules",
]
COREUTILS_832_LS = os.path.join(ROOT, ".build", "coreutils-8.32", "bin", "ls")


def _ls_v(directory, ls="ls"):
    out = subprocess.run([ls, "-1v", str(directory)], check=True, stdout=subprocess.PIPE,
                         env={"LC_ALL": "C"}).stdout.decode()
    return [name for name in out.splitlines() if name.endswith(".rules")]


def _ls_version(ls="ls"):
    """(major, minor) of a GNU ls, read by the test itself (not by audit_host.ls_version)."""
    first = subprocess.run([ls, "--version"], check=True, stdout=subprocess.PIPE).stdout.decode().split("\n")[0]
    major, minor = first.rsplit(" ", 1)[1].split(".")[:2]
    return int(major), int(minor)


def _random_names(seed, count):
    rng = random.Random(seed)
    alphabet = "0123456789abcXYZ._-~"
    names = set()
    while len(names) < count:
        stem = "".join(rng.choice(alphabet) for _index in range(rng.randint(1, 8)))
        if not stem.startswith(".") and "/" not in stem:
            names.add(stem + ".rules")
    return sorted(names)


@pytest.mark.parametrize("names", [TRICKY_NAMES] + [_random_names(seed, 60) for seed in range(5)],
                         ids=["tricky"] + ["random%d" % seed for seed in range(5)])
def test_order_matches_ls_v(tmp_path, names):
    for name in names:
        (tmp_path / name).write_text("")
    (tmp_path / "notes.txt").write_text("")
    (tmp_path / ".hidden.rules").write_text("")
    ordered, skipped = R.augenrules_order(sorted(names + ["notes.txt", ".hidden.rules"]), _ls_version())
    assert ordered == _ls_v(tmp_path)  # the running ls: 9.1 here, 8.32 in the Debian 11 image
    assert R.augenrules_order(sorted(names, reverse=True), _ls_version())[0] == ordered  # whatever order listdir gives
    assert [name for name, _reason in skipped] == [".hidden.rules", "notes.txt"]


@pytest.mark.parametrize("names", [ORDER_CHANGED_IN_9_1 + TRICKY_NAMES] + [_random_names(seed, 60) for seed in range(5)],
                         ids=["changed"] + ["random%d" % seed for seed in range(5)])
def test_order_follows_the_coreutils_of_the_host_8_32_and_9(tmp_path, names):
    if not os.access(COREUTILS_832_LS, os.X_OK):
        pytest.skip("no ls of coreutils 8.32 at %s (scripts/setup.sh unpacks Debian 11's package there)"
                    % COREUTILS_832_LS)
    if _ls_version() < (9, 1):
        pytest.skip("the running ls is coreutils %d.%d, not 9.1 or later" % _ls_version())
    for name in names:
        (tmp_path / name).write_text("")
    old, new = _ls_v(tmp_path, COREUTILS_832_LS), _ls_v(tmp_path)
    assert R.augenrules_order(names, _ls_version(COREUTILS_832_LS))[0] == old
    assert R.augenrules_order(names, (9, 0))[0] == old  # 9.0 still had the old gnulib filevercmp
    assert R.augenrules_order(names, _ls_version())[0] == new
    assert R.augenrules_order(names, None)[0] == new  # an unknown ls: the current order
    if names[0] == ORDER_CHANGED_IN_9_1[0]:
        assert old != new  # the names do tell the two apart
        assert old.index("30-stig.8.rules") < old.index("30-stig..rules")
        assert new.index("30-stig..rules") < new.index("30-stig.8.rules")


FIXTURES = {
    "10-base.rules": "-D\n-b 320\n# comment\n\n-a always,exit -S all -F key=x\n-e 1\n-f 2\n",
    "20-more.rules": "-D -k foo\n-b 8192\n  -b 99\n\t# indented comment\n   \n-w /etc/passwd -p wa\n-e 2\n",
    "30-tail.rules": "-a always,exit -F arch=b64 -S init_module -k m\n--backlog_wait_time 60000\n",
    "40-crlf.rules": "-a always,exit -F arch=b64 -S delete_module -k crlf\r\n-b 64\r\n-w /etc/group -p wa\r\n",
    "ignored.txt": "-e 0\n",
}


def _augenrules_script(version):
    """(script text, version tuple) of the system's augenrules or a platform version's own."""
    if version == "system":
        out = subprocess.run(["auditctl", "-v"], stdout=subprocess.PIPE, check=False).stdout.decode()
        return open(AUGENRULES).read(), V.parse_version(out) or V.BASELINE
    tarball = os.path.join(VENDOR, "audit-userspace-%s.tar.gz" % version)
    if not os.path.exists(tarball):
        pytest.skip("no audit userspace tarballs at %s (a clone without ../shared): augenrules %s "
                    "cannot be compared" % (VENDOR, version))
    with tarfile.open(tarball) as tar:
        member = tar.extractfile("audit-userspace-%s/init.d/augenrules" % version)
        return member.read().decode(), V.parse_version(version)


@pytest.mark.parametrize("version", ("system",) + PLATFORM_VERSIONS)
@pytest.mark.parametrize("awk", ["mawk", "gawk"])
def test_compile_matches_real_augenrules(tmp_path, awk, version):
    if not shutil.which(awk):
        pytest.skip("%s is not installed (scripts/setup.sh installs it)" % awk)
    script, audit_version = _augenrules_script(version)
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    for name, text in FIXTURES.items():
        (rules_dir / name).write_bytes(text.encode())
    script = script.replace("DestinationFile=/etc/audit/audit.rules", "DestinationFile=%s/audit.rules" % tmp_path)
    script = script.replace("SourceRulesDir=/etc/audit/rules.d", "SourceRulesDir=%s" % rules_dir)
    script = script.replace("done | awk '", "done | %s '" % awk)
    assert script.count(str(tmp_path)) == 2 and ("| %s '" % awk) in script
    (tmp_path / "augenrules").write_text(script)
    shell = script.split("\n", 1)[0][2:].strip()  # its own #! (2.8.5: /bin/bash)
    subprocess.run([shell, str(tmp_path / "augenrules")], check=True, stdout=subprocess.PIPE)
    names, _skipped = R.augenrules_order(sorted(FIXTURES))
    files = [R.RulesFile(str(rules_dir / name), (rules_dir / name).read_bytes().decode()) for name in names]
    compiled = R.compile_augenrules(files, str(rules_dir), awk,
                                    strip_cr=V.has(audit_version, "augenrules_strips_cr"))
    assert R.compiled_text(compiled) == (tmp_path / "audit.rules").read_bytes().decode()


def test_compiled_lines_point_at_their_source():
    files = [R.RulesFile("/r/a.rules", "-D\n# x\n-a always,exit -S all -k a\n-e 1\n")]
    compiled = R.compile_augenrules(files, "/r")
    sources = [(c.text, c.source.line if c.source else None) for c in compiled]
    assert sources == [("## This file is automatically generated from /r", None), ("-D", 1), ("", None),
                       ("", None), ("-a always,exit -S all -k a", 3), ("-e 1", 4)]


def _load(text, **kwargs):
    return R.simulate_load(R.parse_items(text, "f.rules"), "x86_64", **kwargs)


def test_load_stops_at_first_rejected_line_and_lists_the_rest():
    result = _load("-D\n-a always,exit -F arch=b64 -S init_module -k a\n-a always,exit -F arch=b64 -S nosuch -k b\n"
                   "-a always,exit -F arch=b64 -S delete_module -k c\n-b 10\n")
    assert result.stop.line == 3 and "nosuch" in result.stop.reason
    assert [loc.line for loc in result.not_loaded] == [4, 5]
    assert [r.source.line for r in result.rules()] == [2]


def test_continue_setting_keeps_going():
    result = _load("-c\n-a always,exit -S nosuch\n-a always,exit -F arch=b64 -S init_module\n")
    assert result.stop is None and len(result.rejected) == 1
    assert [r.source.line for r in result.rules()] == [3]


def test_identical_rule_is_refused_but_reordered_fields_are_not():
    # the kernel compares fields in order (audit_compare_rule): measured on the real kernel
    same = "-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=unset -k x\n"
    assert "Rule exists" in _load(same + same).stop.reason
    swapped = "-a always,exit -F arch=b64 -S init_module -F auid!=unset -F auid>=1000 -k x\n"
    assert _load(same + swapped).stop is None


def test_prepend_delete_and_delete_all_by_key():
    result = _load("-a always,exit -S all -F key=a\n-A always,exit -S all -F key=b\n"
                   "-a always,exit -F arch=b64 -S init_module -k c\n-d always,exit -F arch=b64 -S init_module -k c\n"
                   "-D -k a\n")
    assert [r.rule.keys for r in result.rules("exit")] == [["b"]]
    assert "No such" in _load("-d always,exit -F arch=b64 -S init_module\n").stop.reason


def test_rules_after_e2_are_locked():
    result = _load("-e 2\n-a always,exit -F arch=b64 -S init_module\n")
    assert "locked" in result.stop.reason


def test_kernel_listing_parses_as_items():
    assert R.kernel_items("No rules\n") == []
    items = R.kernel_items("-a always,exit -F arch=b64 -S init_module -F auid>=1000 -F auid!=-1 -F key=m\n")
    assert items[0][0].file == R.KERNEL_LABEL and items[0][1].keys == ["m"]


def test_ignore_errors_setting_keeps_going_like_continue():
    # auditctl -R with -i goes on past a rejected line and exits 0 (tests/kernel/test_kernel_differential.py
    # ::test_load_settings_decide_whether_auditctl_goes_on measures it with every auditctl build)
    result = _load("-i\n-a always,exit -S nosuch\n-a always,exit -F arch=b64 -S init_module\n")
    assert result.stop is None and len(result.rejected) == 1
    assert [r.source.line for r in result.rules()] == [3]


def test_a_prepended_twin_is_loaded_and_a_later_appended_twin_is_not():
    # measured with auditctl -R (tests/kernel/test_kernel_differential.py::test_property_a_replayed_load_...):
    # the kernel compares the prepend flag too and clears it once the rule is in
    rule = "always,exit -F arch=b64 -S init_module -k k1"
    assert len(_load("-a %s\n-A %s\n" % (rule, rule)).rules()) == 2
    assert len(_load("-A %s\n-A %s\n" % (rule, rule)).rules()) == 2
    refused = _load("-A %s\n-a %s\n" % (rule, rule))
    assert "Rule exists" in refused.stop.reason and refused.stop.line == 2
    twice_deleted = _load("-a %s\n-A %s\n-d %s\n-d %s\n" % (rule, rule, rule, rule))
    assert twice_deleted.stop is None and twice_deleted.rules() == []


@pytest.mark.parametrize("setting", ["-D", "-e 1", "-b 10", "-f 1", "-r 5", "--backlog_wait_time 10"])
def test_settings_after_e2_are_locked(setting):
    result = _load("-e 2\n%s\n" % setting)
    assert result.stop.line == 2
    assert result.stop.reason == ("the audit configuration is locked (-e 2 came earlier): the kernel refuses %s"
                                  % setting.split()[0])


@pytest.mark.parametrize("ls", ["8.32", "system"])
def test_real_augenrules_with_each_ls_compiles_in_the_order_the_engine_gives(tmp_path, ls):
    if not os.path.exists(AUGENRULES):
        pytest.skip("augenrules is not installed (package auditd)")
    binary = COREUTILS_832_LS if ls == "8.32" else "/bin/ls"
    if not os.access(binary, os.X_OK):
        pytest.skip("no ls of coreutils 8.32 at %s (scripts/setup.sh unpacks Debian 11's package there)" % binary)
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    for number, name in enumerate(ORDER_CHANGED_IN_9_1):
        (rules_dir / name).write_text("-a always,exit -F arch=b64 -S init_module -k n%d\n" % number)
    script = open(AUGENRULES).read()
    script = script.replace("DestinationFile=/etc/audit/audit.rules", "DestinationFile=%s/audit.rules" % tmp_path)
    script = script.replace("SourceRulesDir=/etc/audit/rules.d", "SourceRulesDir=%s" % rules_dir)
    script = script.replace("/bin/ls -1v", "%s -1v" % binary)
    assert script.count(str(tmp_path)) == 2 and script.count(binary + " -1v") == 1
    (tmp_path / "augenrules").write_text(script)
    subprocess.run(["/bin/sh", str(tmp_path / "augenrules")], check=True, stdout=subprocess.PIPE)
    names, _skipped = R.augenrules_order(ORDER_CHANGED_IN_9_1, _ls_version(binary))
    files = [R.RulesFile(str(rules_dir / name), (rules_dir / name).read_text()) for name in names]
    compiled = R.compile_augenrules(files, str(rules_dir), "mawk" if "mawk" in os.path.realpath(shutil.which("awk")) else "gawk")
    assert R.compiled_text(compiled) == (tmp_path / "audit.rules").read_text()
