# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's record parser on real records captured from the kernel (fixtures/audit_records.json,
made by fixtures/capture_audit_records.py), record matching, planning and verdicts."""
import base64
import json
import os
import sys

import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_probe as PR
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_requirements as Q

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "audit_records.json")
STIG_B64 = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
STIG_B32 = "-a always,exit -F arch=b32 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"


@pytest.fixture(scope="module")
def captured():
    with open(FIXTURE) as handle:
        data = json.load(handle)
    records = []
    for datagram in data["datagrams"]:
        records += PR.parse_datagram(base64.b64decode(datagram))
    return records


def _one(records, **wanted):
    found = [r for r in records if all((r.type_name if k == "type" else r.get(k)) == v for k, v in wanted.items())]
    assert len(found) == 1, (wanted, [r.text for r in found])
    return found[0]


def test_every_datagram_parses_into_records_with_a_serial(captured):
    assert len(captured) > 60
    assert all(r.serial > 0 and r.timestamp.replace(".", "").isdigit() for r in captured)
    kinds = set(r.type_name for r in captured)
    assert set(["SYSCALL", "PATH", "EXECVE", "CWD", "PROCTITLE", "EOE", "LOGIN", "CONFIG_CHANGE",
                "EVENT_LISTENER"]) <= kinds


def test_syscall_record_fields(captured):
    finit = _one(captured, type="SYSCALL", syscall="313")
    assert finit.get("arch") == "c000003e" and PR.table_of(finit) == "x86_64"
    assert finit.get("success") == "no" and finit.number("exit") in (-38, -9)  # ENOSYS here, EBADF with modules
    assert finit.get("comm") == PR.PROBE_COMM and finit.keys == ["module_chng"]
    assert finit.number("auid") == 1000 and finit.get("a0") == "ffffffffffffffff"  # fd -1, a number, not text
    summary = finit.summary()
    assert summary["arch"] == "x86_64" and summary["syscall"] == 313 and summary["keys"] == ["module_chng"]


def test_b32_record_has_the_i386_arch(captured):
    b32 = _one(captured, type="SYSCALL", syscall="350")
    assert b32.get("arch") == "40000003" and PR.table_of(b32) == "i386" and b32.get("a0") == "ffffffff"


def test_several_keys_are_hex_encoded_and_split(captured):
    delete = _one(captured, type="SYSCALL", syscall="176")
    assert delete.keys == ["two", "keys"]
    change = [r for r in captured if r.type_name == "CONFIG_CHANGE" and r.get("key") == "two\x01keys"]
    assert len(change) == 1


def test_null_key_and_untrusted_strings(captured):
    auditctl = [r for r in captured if r.type_name == "SYSCALL" and r.get("comm") == "auditctl"]
    assert auditctl and all(r.get("key") is None and r.keys == [] for r in auditctl)
    title = [r for r in captured if r.type_name == "PROCTITLE" and r.serial == auditctl[0].serial][0]
    assert title.get("proctitle").startswith("auditctl\x00-a\x00always,exit")  # hex decoded, NULs kept


def test_exec_records(captured):
    execve = _one(captured, type="EXECVE", a0="/usr/bin/kmod")
    assert execve.get("a1") == "--version" and execve.get("argc") == "2"
    path = [r for r in captured if r.type_name == "PATH" and r.serial == execve.serial and r.get("item") == "0"][0]
    assert path.get("name") == "/usr/bin/kmod" and path.get("nametype") == "NORMAL"
    insmod = _one(captured, type="EXECVE", a0="/usr/sbin/insmod")
    syscall = [r for r in captured if r.type_name == "SYSCALL" and r.serial == insmod.serial][0]
    # the path=/usr/bin/kmod rule recorded insmod (same inode); the watch on the insmod symlink did not
    assert syscall.keys == ["modules"] and syscall.get("exe") == "/usr/bin/kmod"
    assert not [r for r in captured if r.type_name == "SYSCALL" and "symlink_watch" in r.keys]


def test_login_and_listener_records(captured):
    logins = [r for r in captured if r.type_name == "LOGIN"]
    assert logins and all(r.get("old-auid") == "4294967295" and r.get("auid") == "1000" for r in logins)
    listener = [r for r in captured if r.type_name == "EVENT_LISTENER"]
    assert [r.get("op") for r in listener][-1] == "disconnect" and listener[-1].get("nl-mcgrp") == "1"


def test_find_record_matches_pid_arch_and_syscall(captured):
    probe_pid = _one(captured, type="SYSCALL", syscall="313").number("pid")
    finit = PR.Action.syscall("finit_module", "x86_64")
    assert PR.find_record(captured, finit, probe_pid, "x86_64").number("syscall") == 313
    assert PR.find_record(captured, finit, probe_pid + 99999, "x86_64") is None
    assert PR.find_record(captured, PR.Action.syscall("finit_module", "i386"), probe_pid, "x86_64") is None
    kmod = PR.find_record(captured, PR.Action.program("/usr/bin/kmod"), probe_pid, "x86_64")
    assert kmod is not None and kmod.keys == ["modules"]


def test_matching_rules_by_key_syscall_and_arch(captured):
    finit = _one(captured, type="SYSCALL", syscall="313")
    kernel = [STIG_B32.replace("-k ", "-F key=").replace("unset", "-1"),
              STIG_B64.replace("-k ", "-F key=").replace("unset", "-1"),
              "-a always,exit -F arch=b64 -S delete_module -F key=module_chng"]
    assert PR.matching_rules(finit, kernel, "x86_64") == [kernel[1]]


@pytest.mark.parametrize("uid, filters, expected", [
    (1000, [(">=", 1000), ("!=", -1)], True),
    (PR.UNSET, [(">=", 1000), ("!=", -1)], False),   # unset compares as 4294967295: >=1000 alone would pass
    (PR.UNSET, [(">=", 1000)], True),
    (0, [(">=", 1000)], False),
    (500, [("=", 500)], True),
    (5, [("&", 4)], True),
    (5, [("&=", 6)], False),
])
def test_uid_filters_compare_unsigned(uid, filters, expected):
    assert PR.uid_satisfies(uid, filters) is expected


def _requirement(text, machine="x86_64"):
    return Q.parse_requirements([text], machine)[0]


def _facts(**changes):
    values = dict(machine="x86_64", loginuid=None, exists=lambda p: True,
                  realpath=lambda p: "/usr/bin/kmod" if p.endswith(("kmod", "insmod")) else p)
    values.update(changes)
    return PR.HostFacts(**values)


def test_plan_uses_a_test_loginuid_when_the_session_is_unset():
    plan = PR.plan(_requirement(STIG_B64), _facts())
    assert plan.status is None and plan.loginuid == 1000
    assert [a.name for a in plan.actions] == ["finit_module", "init_module"]
    assert "set its login uid to 1000" in plan.notes[-1]


def test_plan_uses_the_session_when_it_is_inside_the_filters():
    plan = PR.plan(_requirement(STIG_B64), _facts(loginuid=1234))
    assert plan.loginuid is None and "session's login uid 1234" in plan.notes[-1]


def test_plan_is_inconclusive_when_the_login_uid_is_immutable():
    plan = PR.plan(_requirement(STIG_B64), _facts(loginuid=0, loginuid_immutable=True))
    assert plan.status == "inconclusive" and "login uid is 0" in plan.reason and "immutable" in plan.reason


def test_plan_without_permission_to_change_the_login_uid():
    plan = PR.plan(_requirement(STIG_B64), _facts(change_loginuid=False))
    assert plan.status == "inconclusive" and "never recorded by this rule" in plan.reason


def test_plan_b32_needs_x86_64_and_ia32():
    assert PR.plan(_requirement(STIG_B32), _facts()).actions[0].table == "i386"
    assert "ia32 emulation" in PR.plan(_requirement(STIG_B32), _facts(ia32=False)).reason
    aarch64 = PR.plan(_requirement(STIG_B32, "aarch64"), _facts(machine="aarch64"))
    assert aarch64.status == "inconclusive" and "cannot be made" in aarch64.reason


def test_plan_programs():
    plan = PR.plan(_requirement(KMOD), _facts())
    assert [a.path for a in plan.actions] == ["/usr/bin/kmod"]
    symlink = PR.plan(_requirement("-w /usr/sbin/insmod -p x -k modules"), _facts())
    assert symlink.actions and "resolves to /usr/bin/kmod" in symlink.notes[0]
    missing = PR.plan(_requirement(KMOD), _facts(exists=lambda p: False))
    assert missing.status == "inconclusive" and "does not exist" in missing.reason
    writes = PR.plan(_requirement("-w /usr/bin/kmod -p wa"), _facts())
    assert writes.status == "inconclusive" and "only executions" in writes.reason


@pytest.mark.parametrize("text, reason", [
    ("-a always,exit -F arch=b64 -S openat -k x", "only module syscalls"),
    ("-a always,exit -F arch=b64 -S init_module -F exit=-EPERM", "filter exit"),
    ("-a always,exit -F arch=b64 -S init_module -F uid=1000", "uid/gid filters"),
    ("-a always,exit -F arch=b64 -S all -F auid>=1000", "-S all"),
])
def test_plan_refuses_what_it_cannot_fire(text, reason):
    plan = PR.plan(_requirement(text), _facts())
    assert plan.status == "inconclusive" and reason in plan.reason


def test_not_applicable_requirement():
    plan = PR.plan(_requirement("-a always,exit -F arch=b64 -S create_module", "aarch64"), _facts(machine="aarch64"))
    assert plan.status == "not_applicable"


def test_verdicts(captured):
    requirement = _requirement(STIG_B64)
    plan = PR.plan(requirement, _facts())
    pid = _one(captured, type="SYSCALL", syscall="313").number("pid")
    outcome = {"pid": pid, "signal": None, "error": None}
    fired = dict(((a.ident, 1000), (outcome, PR.find_record(captured, a, pid, "x86_64"))) for a in plan.actions)
    result = PR.verdict(requirement, plan, fired, "x86_64")
    assert result["status"] == "recorded" and [r["syscall"] for r in result["records"]] == [313, 175]
    missing = dict((key, (outcome, None)) for key in fired)
    assert PR.verdict(requirement, plan, missing, "x86_64")["status"] == "not_recorded"
    lost = PR.verdict(requirement, plan, missing, "x86_64", lost="the kernel lost 3 records")
    assert lost["status"] == "inconclusive" and "lost 3" in lost["reason"]
    killed = dict((key, (dict(outcome, signal=11), None)) for key in fired)
    assert "signal 11" in PR.verdict(requirement, plan, killed, "x86_64")["reason"]


def test_split_datagram_ignores_truncated_headers():
    assert PR.split_datagram(b"\x00" * 8) == []
    body = b"audit(1.000:7): a=1"
    header = PR.NLMSG_HEADER.pack(16 + len(body), 1300, 0, 0, 0)
    assert PR.split_datagram(header + body + b"\x00") == [(1300, "audit(1.000:7): a=1")]


def _fail_json_like(argv):
    """What module.run_command does on an OS error by default: print a result, then SystemExit."""
    sys.stdout.write('{"failed": true, "msg": "[Errno 13] Permission denied"}\n')
    raise SystemExit(1)


def _refused_exec(argv):
    raise OSError(13, "Permission denied", argv[0])


def test_a_child_that_exits_reports_its_failure_and_the_exec_error_is_the_actions(capfd):
    """Issue 23 item 2 (controller path: tests/reliability/test_kernel_rollback.py): the forked
    child never returns into the caller, a SystemExit in it becomes the outcome's error, and an
    exec the kernel refuses is that action's error."""
    kmod = PR.Action.program("/usr/bin/kmod")
    exited = PR.fire([kmod], "x86_64", run=_fail_json_like)
    assert exited["error"] == "SystemExit: 1" and exited["signal"] is None
    refused = PR.fire([kmod], "x86_64", run=_refused_exec)
    assert refused["error"] is None
    assert PR.action_outcome(refused, 0)["error"] == "cannot execute /usr/bin/kmod: Permission denied"
    silent = PR._child_outcome(4242, 1 << 8, b"")
    assert silent["error"] == "the child exited with status 1"
    assert PR._child_outcome(4242, 0, b"")["error"] == "the child reported nothing"
