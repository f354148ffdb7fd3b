# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/audit_fields.py: the -F fields, their operators and lists, and the canonical
values that make spellings the kernel stores identically compare equal.

Outside judges: upstream audit-userspace's own tables (lib/fieldtab.h, optab.h, flagtab.h,
ftypetab.h, fstypetab.h) and the operator and list checks of libaudit.c
audit_rule_fieldpair_data(), read from the vendored release tarballs (skipped without them);
Python's stat and errno modules for file types and errno names."""
import errno
import stat

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_fields as F
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as PA
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError


# --- names against upstream's tables --------------------------------------------------------------

def test_every_field_auditctl_knows_is_known_here_and_no_other(upstream):
    upstream_fields = upstream.names("fieldtab.h") - {"field_compare"}  # -C, not -F
    assert set(F.FIELDS) | set(F.FIELD_ALIASES) == upstream_fields


def test_operators_are_upstreams(upstream):
    assert set(F.OPERATORS) == upstream.names("optab.h")


def test_lists_are_upstreams(upstream):
    assert set(F.LISTS) == upstream.names("flagtab.h")


def test_file_types_are_upstreams_names_with_the_kernels_mode_bits(upstream):
    assert set(F.FILETYPES) == upstream.names("ftypetab.h")
    by_constant = dict((name, getattr(stat, constant)) for constant, name in upstream.entries("ftypetab.h"))
    assert F.FILETYPES == by_constant


def test_fs_types_are_upstreams(upstream):
    assert set(F.FSTYPES) == upstream.names("fstypetab.h")


# --- operators and lists as auditctl accepts them ------------------------------------------------

# audit_rule_fieldpair_data() refuses every operator but = and != (-EAU_OPEQNOTEQ) for these fields
UPSTREAM_EQ_NE_ONLY = ("exe", "arch", "fstype", "inode")
# ... and every operator but = (-EAU_OPEQ) for perm
UPSTREAM_EQ_ONLY = ("perm",)
# fields it accepts on the exit filter only (-EAU_EXITONLY), not on io_uring either (auditctl 4.0.3:
# "path can only be used with exit filter list")
UPSTREAM_EXIT_ONLY = ("exit", "obj_user", "obj_role", "obj_type", "obj_lev_low", "obj_lev_high", "path", "dir",
                      "filetype", "devmajor", "devminor", "inode", "success", "ppid")


def test_the_checks_cited_below_are_in_upstreams_source(upstream):
    source = upstream.source("libaudit.c")
    for snippet in ("return -EAU_OPEQNOTEQ", "return -EAU_OPEQ;", "return -EAU_EXITONLY",
                    "if (field == AUDIT_PPID && !(flags==AUDIT_FILTER_EXIT))"):
        assert snippet in source, snippet


@pytest.mark.parametrize("name", UPSTREAM_EQ_NE_ONLY + UPSTREAM_EQ_ONLY)
def test_fields_auditctl_restricts_to_equality(name):
    allowed = {"=", "!="} if name in UPSTREAM_EQ_NE_ONLY else {"="}
    assert set(F.FIELDS[name].ops) <= allowed


@pytest.mark.parametrize("name", UPSTREAM_EXIT_ONLY)
def test_fields_auditctl_takes_on_the_exit_filter_only(name):
    assert F.FIELDS[name].lists == {"exit"}


@pytest.mark.parametrize("line, message", [
    # what auditctl 3.0.9 says for each (measured on the kernel, and the same with 2.8.5 ... 4.0.3)
    ("-a always,exit -F arch=b64 -S openat -F perm!=r", "operator != is not valid for perm"),  # perm only takes =
    ("-a always,exit -F arch=b64 -S openat -F inode<5", "operator < is not valid for inode"),  # = or != only
    ("-a always,exit -F arch=b64 -S openat -F inode>=5", "operator >= is not valid for inode"),
    ("-a always,task -F ppid=1", "ppid cannot be used on the task list"),  # ppid ... only with exit filter
    ("-a always,user -F ppid=1", "ppid cannot be used on the user list"),
    ("-a always,io_uring -S openat -F ppid=1", "ppid cannot be used on the io_uring list"),
    ("-a always,io_uring -S openat -F path=/etc/passwd", "path cannot be used on the io_uring list"),
    ("-a always,exit -F arch=b64 -S openat -F filetype=32768", "not a file type"),  # -F unknown file type
])
def test_rules_auditctl_refuses_are_refused_naming_the_reason(line, message):
    with pytest.raises(AuditRuleError, match=message):
        PA.parse_line(line)


@pytest.mark.parametrize("line", [
    "-a always,exit -F arch=b64 -S openat -F perm=r", "-a always,exit -F arch=b64 -S openat -F inode!=5",
    "-a always,exit -F arch=b64 -S openat -F ppid=1", "-a always,exit -F arch=b64 -S openat -F filetype=file",
])
def test_the_same_fields_where_auditctl_accepts_them(line):
    assert PA.parse_line(line).kind == "rule"


def test_operators_follow_the_kernels_audit_field_valid():
    for name in F.UID_FIELDS + F.GID_FIELDS + ("pid", "sessionid", "exit", "success", "saddr_fam"):
        assert F.FIELDS[name].ops == F.NO_BIT_OPS, name  # no bit operations on ids and results
    for name in ("a0", "a1", "a2", "a3", "pers", "devminor"):
        assert F.FIELDS[name].ops == F.ALL_OPS, name
    for name in ("subj_user", "subj_role", "subj_type", "obj_user", "obj_role", "obj_type", "path", "dir",
                 "key", "filetype"):
        assert F.FIELDS[name].ops == F.EQ_OPS, name
    assert F.FIELDS["msgtype"].lists == frozenset(("user", "exclude"))
    assert F.FIELDS["fstype"].lists == frozenset(("filesystem",))


# --- splitting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text, parts", [
    ("auid>=1000", ("auid", ">=", "1000")), ("auid<=1000", ("auid", "<=", "1000")),
    ("auid!=unset", ("auid", "!=", "unset")), ("a0&=4", ("a0", "&=", "4")), ("a1&8", ("a1", "&", "8")),
    ("uid<5", ("uid", "<", "5")), ("key=a=b", ("key", "=", "a=b")), ("path=", ("path", "=", "")),
])
def test_split_field_takes_the_longest_operator_at_the_first_operator_character(text, parts):
    assert F.split_field(text) == parts


@pytest.mark.parametrize("text, message", [("auid", "missing operator"), ("auid!1000", "bad operator")])
def test_split_field_refuses_text_without_an_operator(text, message):
    with pytest.raises(ValueError) as refused:
        F.split_field(text)
    assert message in str(refused.value)


# --- canonical values --------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["unset", "-1", "4294967295"])
def test_auid_unset_has_three_spellings_and_one_value(written):
    assert F.canonical_value("auid", "!=", written) == F.UNSET == -1
    assert F.render_value("auid", F.canonical_value("auid", "=", written), written) == "unset"


def test_unset_is_for_auid_with_equality_only():
    with pytest.raises(ValueError, match="only auid"):
        F.canonical_value("uid", "=", "4294967295")
    with pytest.raises(ValueError, match="= or !="):
        F.canonical_value("auid", ">=", "unset")
    assert F.canonical_field_name("loginuid") == "auid"


def test_ids_are_numbers_or_names_the_host_resolves():
    assert F.canonical_value("auid", ">=", "1000") == 1000
    assert F.canonical_value("euid", "=", "root") == 0
    assert F.canonical_value("gid", "=", "_chrony") == "_chrony"
    assert F.render_value("gid", "_chrony", "_chrony") == "_chrony"
    assert F.canonical_value("uid", "=", "0x10") == F.canonical_value("uid", "=", "020") == 16  # strtoul
    # auditctl takes "-5" (strtol) as the id 4294967291 and lists ids from 2**31 up so: measured by
    # tests/kernel/test_kernel_differential.py
    assert F.canonical_value("uid", "=", "-5") == 4294967291
    assert F.canonical_value("auid", ">", "-2") == F.canonical_value("auid", ">", "4294967294") == 4294967294
    for bad in ("-x", "a b", "+5", "\u00b2"):
        with pytest.raises(ValueError):
            F.canonical_value("uid", "=", bad)


@pytest.mark.parametrize("written, value", [("0x10", 16), ("0X10", 16), ("16", 16), ("0", 0), ("020", 16)])
def test_syscall_arguments_take_any_base_and_render_as_hex(written, value):
    assert F.canonical_value("a2", "&", written) == value
    assert F.render_value("a2", value) == hex(value)


# What auditctl -l shows after loading a0=<written> (auditctl 3.0.9 on the kernel; 2.8.5 ... 4.0.3
# the same): strtoul(v, NULL, 0) reads up to the first character that is not a digit of the base it
# chose and ignores the rest, and the kernel holds 32 bits.
@pytest.mark.parametrize("written, shown", [
    ("020", 0x10), ("089", 0x0), ("0o20", 0x0), ("0b1", 0x0), ("1_000", 0x1), ("12abc", 0xC), ("0x", 0x0),
    ("-1", 0xFFFFFFFF), ("-0x10", 0xFFFFFFF0), ("4294967296", 0x0), ("99999999999999999999", 0xFFFFFFFF),
])
def test_syscall_arguments_are_read_as_auditctls_strtoul_reads_them(written, shown):
    assert F.canonical_value("a0", "=", written) == shown


@pytest.mark.parametrize("written", ["+5", "o20", "-", "-x1", "\u0661"])
def test_arguments_that_do_not_start_with_a_digit_are_refused(written):
    with pytest.raises(ValueError, match="not a number"):  # auditctl: -F value should be number for a0
        F.canonical_value("a0", "=", written)


@pytest.mark.parametrize("name, written, value", [
    ("pid", "020", 16), ("pid", "0x10", 16), ("pid", "1_000", 1), ("ppid", "020", 16), ("inode", "12abc", 12),
    ("inode", "0x10", 16), ("devmajor", "0x10", 16), ("devminor", "1_000", 1), ("pers", "0b1", 0),
    ("success", "0x1", 1), ("saddr_fam", "010", 8), ("sessionid", "020", 16), ("gid", "020", 16),
    ("auid", "0x10", 16), ("uid", "10abc", 10), ("exit", "020", 16), ("exit", "-020", -16), ("exit", "0x10", 16),
])
def test_other_numbers_are_read_as_auditctl_reads_them(name, written, value):
    assert F.canonical_value(name, "=", written) == value


def test_only_sessionid_takes_a_negative_number():
    # auditctl checks isdigit() first for pid, ppid, inode, ... : "-F value should be number for pid"
    with pytest.raises(ValueError, match="not a number"):
        F.canonical_value("pid", "=", "-020")
    assert F.canonical_value("sessionid", "=", "-1") == -1


@pytest.mark.parametrize("written", ["-EPERM", "-1"])
def test_exit_errno_names_and_numbers_are_one_value(written):
    assert F.canonical_value("exit", "=", written) == -errno.EPERM
    assert F.render_value("exit", -errno.EPERM) == "-EPERM"


def test_exit_refuses_what_is_neither_a_number_nor_an_errno_name():
    assert F.canonical_value("exit", "=", "-EACCES") == -errno.EACCES
    with pytest.raises(ValueError, match="errno name"):
        F.canonical_value("exit", "=", "-ENOTANERRNO")


@pytest.mark.parametrize("name", sorted(F.FILETYPES))
def test_file_types_by_name_are_the_kernels_mode_bits(name):
    assert F.canonical_value("filetype", "=", name) == getattr(stat, "S_IF" + {
        "file": "REG", "dir": "DIR", "socket": "SOCK", "link": "LNK", "character": "CHR", "block": "BLK",
        "fifo": "IFO"}[name])
    assert F.render_value("filetype", F.FILETYPES[name]) == name


def test_auditctl_lists_a_file_type_as_its_number_and_that_reads_back_as_the_rule():
    written = PA.parse_rule("-a always,exit -F arch=b64 -S open -F filetype=file")
    shown = PA.parse_rule("-a always,exit -F arch=b64 -S open -F filetype=32768", listing=True)  # auditctl -l
    assert S.equivalent(written, shown, "x86_64")
    assert S.canonical_text(written, "x86_64") == S.canonical_text(shown, "x86_64")
    with pytest.raises(AuditRuleError, match="not a file type"):
        PA.parse_rule("-a always,exit -F arch=b64 -S open -F filetype=0x81a4", listing=True)


def test_file_type_refuses_numbers_and_unknown_names():
    # auditctl takes names only (audit_name_to_ftype): filetype=32768 is "-F unknown file type"
    for bad in ("32768", "0x8000", "0x81a4", "regular"):
        with pytest.raises(ValueError):
            F.canonical_value("filetype", "=", bad)


@pytest.mark.parametrize("written, canonical", [("xw", "wx"), ("awrx", "rwxa"), ("a", "a"), ("rr", "r")])
def test_permissions_in_one_order(written, canonical):
    assert F.canonical_value("perm", "=", written) == canonical


def test_permissions_refuse_other_letters():
    with pytest.raises(ValueError, match="r, w, x and a"):
        F.canonical_value("perm", "=", "rwe")


@pytest.mark.parametrize("written, canonical", [("/sbin/", "/sbin"), ("/usr/bin/kmod", "/usr/bin/kmod"), ("/", "/"),
                                                ("//", "/")])
def test_paths_lose_trailing_slashes(written, canonical):
    assert F.canonical_value("dir", "=", written) == canonical


def test_paths_must_be_absolute_and_fit_path_max():
    with pytest.raises(ValueError, match="absolute"):
        F.canonical_value("path", "=", "sbin/insmod")
    assert F.canonical_value("path", "=", "/" + "a" * (F.MAX_PATH_LEN - 1))
    with pytest.raises(ValueError, match="longer"):
        F.canonical_value("path", "=", "/" + "a" * F.MAX_PATH_LEN)


def test_keys_fit_the_kernels_limit_in_bytes():
    assert F.canonical_value("key", "=", "k" * F.MAX_KEY_LEN)
    with pytest.raises(ValueError, match="longer than 256 bytes"):
        F.canonical_value("key", "=", "é" * (F.MAX_KEY_LEN // 2 + 1))


def test_message_types_compare_case_insensitively_by_name():
    assert F.canonical_value("msgtype", "=", "syscall") == F.canonical_value("msgtype", "=", "SYSCALL") == "SYSCALL"
    assert F.canonical_value("msgtype", "=", "1300") == 1300
    with pytest.raises(ValueError):
        F.canonical_value("msgtype", "=", "SYS CALL")


def test_address_family_below_af_max_and_fs_types_by_name():
    assert F.canonical_value("saddr_fam", "=", "10") == 10
    with pytest.raises(ValueError, match="address family"):
        F.canonical_value("saddr_fam", "=", str(F.AF_MAX))
    assert F.canonical_value("fstype", "=", "debugfs") == "debugfs"
    with pytest.raises(ValueError, match="debugfs or tracefs"):
        F.canonical_value("fstype", "=", "ext4")


def test_no_field_takes_an_empty_value():
    for name in F.FIELDS:
        with pytest.raises(ValueError, match="has no value"):
            F.canonical_value(name, "=", "")


def test_comparison_groups():
    assert [F.comparison_group(n) for n in ("auid", "obj_gid", "pid")] == ["uid", "gid", None]
