# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Parsing of every line form in rules files and auditctl -l output, and its errors."""

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_parser as PA
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError, Location


def test_rule_parts():
    rule = PA.parse_rule("-a exit,always -F arch=b64 -S init_module -S 313 -F auid>=1000 -C uid!=auid -k a -F key=b")
    assert (rule.command, rule.list, rule.action) == ("-a", "exit", "always")
    assert [t for t, _c in rule.syscalls] == ["init_module", "313"]
    assert [(f.name, f.op, f.value) for f in rule.fields] == [("arch", "=", "b64"), ("auid", ">=", 1000)]
    assert rule.comparisons == [("uid", "!=", "auid")]
    assert rule.keys == ["a", "b"]


@pytest.mark.parametrize("op", ["=", "!=", "<", ">", "<=", ">=", "&", "&="])
def test_every_operator_on_syscall_arguments(op):
    rule = PA.parse_rule("-a always,exit -F arch=b64 -S open -F a0%s0x10" % op)
    assert (rule.fields[1].op, rule.fields[1].value) == (op, 16)


@pytest.mark.parametrize("lst", ["exit", "task", "user", "exclude", "filesystem", "io_uring"])
def test_every_list(lst):
    body = {"filesystem": " -F fstype=tracefs", "exclude": " -F msgtype=CWD"}.get(lst, "")
    assert PA.parse_rule("-a never,%s%s" % (lst, body)).list == lst


@pytest.mark.parametrize("text,option,value", [
    ("-D", "-D", None), ("-b 8192", "-b", 8192), ("-f 1", "-f", 1), ("-e 2", "-e", 2), ("-r 100", "-r", 100),
    ("-c", "-c", None), ("-i", "-i", None), ("--backlog_wait_time 60000", "--backlog_wait_time", 60000),
    ("--backlog_wait_time=60000", "--backlog_wait_time", 60000), ("--loginuid-immutable", "--loginuid-immutable", None),
    ("--reset-lost", "--reset-lost", None), ("-q /mnt,/mnt/sub", "-q", "/mnt,/mnt/sub"), ("-t", "-t", None),
])
def test_control_lines(text, option, value):
    line = PA.parse_line(text)
    assert (line.kind, line.option, line.value) == ("control", option, value)


def test_delete_all_by_key():
    line = PA.parse_line("-D -k modules")
    assert (line.option, line.key) == ("-D", "modules")


def test_watch_defaults_to_all_permissions():
    rule = PA.parse_rule("-w /etc/passwd -k identity")
    assert (rule.watch, rule.watch_perms, rule.keys) == ("/etc/passwd", "rwxa", ["identity"])


@pytest.mark.parametrize("text,kind", [("", "blank"), ("   ", "blank"), ("# x", "comment"), ("  # -a always,exit", "comment")])
def test_blank_and_comment_lines(text, kind):
    assert PA.parse_line(text).kind == kind


def test_text_keeps_file_and_line_numbers():
    lines, errors = PA.parse_text("# head\n-D\n\n-a always,exit -F arch=b64 -S init_module -k m\n-a bogus\n", "10-x.rules")
    assert [(line.kind, line.location.line) for line in lines] == [("comment", 1), ("control", 2), ("blank", 3), ("rule", 4)]
    assert [(e.file, e.line, e.column) for e in errors] == [("10-x.rules", 5, 4)]
    assert str(errors[0]).startswith("10-x.rules:5:4: expected list,action")


def test_tab_and_crlf_are_load_issues_not_errors():
    assert PA.parse_line("-a always,exit\t-F arch=b64 -S open").load_issues
    assert PA.parse_line("-a always,exit -F arch=b64 -S open -k k\r").keys == ["k"]
    assert PA.parse_line("-a always,exit -F arch=b64 -S open -k k\r").load_issues


@pytest.mark.parametrize("text,reason,column", [
    ("-a always,exit -F arch=b64 -S init_module # x", "comments must be on their own line", 43),
    ("-a always,exit -S init_module -F arch=b32", "arch must be before -S", 34),
    ("-a always,exit -F nofield=1", "unknown field 'nofield'", 19),
    ("-a always,exit -F arch=b64 -S open -F uid&=7", "operator &= is not valid for uid", 39),
    ("-a always,exit -F arch=b64 -S open -F euid=unset", "euid cannot be unset", 39),
    ("-a always,exit -F arch=b64 -S open -F auid>-1", "auid unset (-1) only works with = or !=", 39),
    ("-a always,exit -F arch=b64 -S open -F success=yes", "not a number", 39),
    ("-a always,exit -F arch=b64 -S open -F exit=-EWHAT", "errno name", 39),
    ("-a always,exit -F arch=b64 -S open -F perm=rz", "use the letters r, w, x and a", 39),
    ("-a always,exit -F arch=b64 -S all -F path=/a -F dir=/b", "only one path or dir", 49),
    ("-a always,task -F uid=0 -S open", "-S is only valid on the exit and io_uring lists", 28),
    ("-a always,task -F path=/x", "path cannot be used on the task list", 19),
    ("-a always,exclude -F auid=5 -F path=/x", "path cannot be used on the exclude list", 32),
    ("-a always,filesystem -F fstype=ext4", "fstype 'ext4' is not known", 25),
    ("-a always,exit -F arch=b64 -k k -S open", "-k must follow -S", 31),
    ("-a always,exit -F arch=b64 -S open -F auid", "missing operator", 39),
    ("-a always,exit -F arch=b64 -S open -F auid=", "has no value", 39),
    ("-a alwys,exit", "bad list,action", 4),
    ("-a entry,always", "entry list was removed", 4),
    ("-F arch=b64 -S open", "not a rule", 1),
    ("-a always,exit -S", "option -S needs a value", 16),
    ("-a always,exit -F arch=b64 -S open,,close", "empty syscall name", 36),
    ("-w relative -p x", "watch path must be an absolute path", 4),
    ("-w /" + "a" * 5000, "watch path is longer than 4095 characters", 4),
    ("-w /etc -S open", "-S cannot be used with a watch", 12),
    ("-a always,exit -a always,exit", "one rule per line", 19),
    ("-a always,exit -F arch=b64 -S open -C uid!=gid", "-C compares two different uid fields", 39),
    ("-a always,exit -F arch=b64 -S open -e 2", "-e is a setting", 36),
    ("-a always,exit -F arch=b64 -S open -Z 1", "unknown option -Z", 36),
    ("-e 3", "-e takes 0 or 1 or 2", 4),
    ("-b many", "-b needs a non-negative number", 4),
    ("-D -e 1", "put each setting on its own line", 4),
    ("-i 1", "unexpected", 4),
    ("-a always,exit -F arch=b64 -S open -k " + "k" * 257, "key is longer than 256 bytes", 39),
    ("-a always,exit -F arch=b64 -S open\n-D", "a rule must be a single line", 35),
    ("-a always,exit -F arch=b64 -S open -k a\x00b", "NUL byte", 40),
    ("-a always,user -F msgtype=USER_LOGIN -k k", "-k must follow -S", 41),
])
def test_errors_name_line_column_and_reason(text, reason, column):
    with pytest.raises(AuditRuleError) as err:
        PA.parse_line(text, Location("99-test.rules", 7))
    assert reason in err.value.reason
    assert (err.value.file, err.value.line, err.value.column) == ("99-test.rules", 7, column)


def test_parse_rule_refuses_control_lines():
    with pytest.raises(AuditRuleError, match="not a rule"):
        PA.parse_rule("-e 2")
