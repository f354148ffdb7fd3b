# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What differs between audit userspace versions (private to auditkit.auditd). Pure: no I/O.

The parser and the syscall tables encode auditctl 3.0.9 (Debian 12), measured on the kernel.
The targets ship other versions (docs/platforms.md): 2.8.5 (RHEL 7), 3.0.6 (AL2023), 3.0.7,
3.1.2, 3.1.5 and 4.0.3 (RHEL 10). The differential test loads every corpus line with each
version's auditctl, built from the upstream sources (scripts/build_audit_userspace.sh), and the
differences that change what a host accepts or how augenrules compiles are encoded here, keyed
by the version ``auditctl -v`` reports on the host. Distribution patches are not included.

A version between two measured ones gets the facts of the older one; an unknown version (no
auditctl on the host) gets the 3.0.9 behaviour the engine has always had.
"""

import re

# The version the parser and syscall_tables.py were measured with.
BASELINE = (3, 0, 9)

# fact -> the first measured version that has it (older versions do not).
SINCE = {
    # 2.8.5: "-F unknown field: saddr_fam"
    "saddr_fam_field": (3, 0, 6),
    # 2.8.5: "exe only takes = operator"
    "exe_not_equal": (3, 0, 6),
    # 2.8.5: "Only msgtype, *uid, *gid, pid, and subj* fields can be used with exclude filter"
    "exclude_exe_field": (3, 0, 6),
    # init.d/augenrules gains `sub(/\r$/, "")`: CRLF rules files compile to clean lines
    "augenrules_strips_cr": (3, 1, 2),
    # -a always,io_uring (kernel 5.16+): older versions refuse the list; measured with builds
    # configured --with-io_uring (docs/platforms.md)
    "io_uring_list": (3, 1, 2),
    # lib/machinetab.h gains armv8l (MACH_AARCH64); 2.8.5: "arch elf mapping not found"
    "armv8l_arch": (3, 0, 6),
}

# Syscall names in syscall_tables.py (3.0.9) that an older auditctl does not know ("Syscall
# name unknown"): {first version of a range: {table: names}}. From lib/<table>_table.h of each
# tarball (tests/unit/plugins/module_utils/test_audit_versions.py checks them against it).
_MISSING_SYSCALLS = {
    (2, 8, 5): {
        "x86_64": "timerfd_create pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree "
                  "move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd "
                  "faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset "
                  "landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv "
                  "set_mempolicy_home_node",
        "i386": "timerfd_create semget semctl shmget shmctl shmat shmdt msgget msgsnd msgrcv msgctl clock_gettime64 "
                "clock_settime64 clock_adjtime64 clock_getres_time64 clock_nanosleep_time64 timer_gettime64 "
                "timer_settime64 timerfd_gettime64 timerfd_settime64 utimensat_time64 pselect6_time64 ppoll_time64 "
                "io_pgetevents_time64 recvmmsg_time64 mq_timedsend_time64 mq_timedreceive_time64 semtimedop_time64 "
                "rt_sigtimedwait_time64 futex_time64 sched_rr_get_interval64 pidfd_send_signal io_uring_setup "
                "io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open "
                "clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr "
                "quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret "
                "process_mrelease futex_waitv set_mempolicy_home_node",
        "aarch64": "rseq kexec_file_load pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree "
                   "move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd "
                   "faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset "
                   "landlock_add_rule landlock_restrict_self memfd_secret process_mrelease futex_waitv "
                   "set_mempolicy_home_node",
        "arm": "io_pgetevents migrate_pages kexec_file_load clock_gettime64 clock_settime64 clock_adjtime64 "
               "clock_getres_time64 clock_nanosleep_time64 timer_gettime64 timer_settime64 timerfd_gettime64 "
               "timerfd_settime64 utimensat_time64 pselect6_time64 ppoll_time64 io_pgetevents_time64 recvmmsg_time64 "
               "mq_timedsend_time64 mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 futex_time64 "
               "sched_rr_get_interval64 pidfd_send_signal io_uring_setup io_uring_enter io_uring_register open_tree "
               "move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 pidfd_getfd "
               "faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd landlock_create_ruleset "
               "landlock_add_rule landlock_restrict_self process_mrelease futex_waitv set_mempolicy_home_node",
        "ppc64le": "io_pgetevents semtimedop semget semctl shmget shmctl shmat shmdt msgget msgsnd msgrcv msgctl "
                   "clock_gettime64 clock_settime64 clock_adjtime64 clock_getres_time64 clock_nanosleep_time64 "
                   "timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 utimensat_time64 "
                   "pselect6_time64 ppoll_time64 io_pgetevents_time64 recvmmsg_time64 mq_timedsend_time64 "
                   "mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 futex_time64 "
                   "sched_rr_get_interval_time64 pidfd_send_signal io_uring_setup io_uring_enter io_uring_register "
                   "open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3 close_range openat2 "
                   "pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr quotactl_fd "
                   "landlock_create_ruleset landlock_add_rule landlock_restrict_self process_mrelease futex_waitv "
                   "set_mempolicy_home_node",
        "s390x": "io_pgetevents rseq pkey_mprotect pkey_alloc pkey_free pidfd_send_signal io_uring_setup "
                 "io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open "
                 "clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr "
                 "quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self process_mrelease "
                 "futex_waitv set_mempolicy_home_node",
        "s390": "io_pgetevents rseq pkey_mprotect pkey_alloc pkey_free pidfd_send_signal io_uring_setup "
                "io_uring_enter io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open "
                "clone3 close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr "
                "quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self process_mrelease "
                "futex_waitv set_mempolicy_home_node",
    },
    (3, 0, 6): {
        "x86_64": "process_mrelease futex_waitv set_mempolicy_home_node",
        "i386": "process_mrelease futex_waitv set_mempolicy_home_node",
        "aarch64": "memfd_secret process_mrelease futex_waitv set_mempolicy_home_node",
        "arm": "process_mrelease futex_waitv set_mempolicy_home_node",
        "ppc64le": "process_mrelease futex_waitv set_mempolicy_home_node",
        "s390x": "process_mrelease futex_waitv set_mempolicy_home_node",
        "s390": "process_mrelease futex_waitv set_mempolicy_home_node",
    },
    (3, 0, 7): dict((table, "set_mempolicy_home_node")
                    for table in ("x86_64", "i386", "aarch64", "arm", "ppc64le", "s390x", "s390")),
    BASELINE: {},
}
MISSING_SYSCALLS = dict((version, dict((table, frozenset(names.split())) for table, names in tables.items()))
                        for version, tables in _MISSING_SYSCALLS.items())

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text):
    """(major, minor, patch) from ``auditctl -v`` output ("auditctl version 3.0.9"), or None."""
    match = _VERSION.search(text or "")
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def version_text(version):
    return ".".join(str(part) for part in version) if version else None


def has(version, fact):
    """True when auditctl ``version`` has ``fact`` (SINCE); an unknown version is the baseline."""
    return (version or BASELINE) >= SINCE[fact]


def missing_syscalls(version, table):
    """The syscall names of ``table`` the engine knows and auditctl ``version`` does not."""
    if version is None or version >= BASELINE:
        return frozenset()
    measured = [v for v in MISSING_SYSCALLS if v <= version] or [min(MISSING_SYSCALLS)]
    return MISSING_SYSCALLS[max(measured)].get(table, frozenset())


def refusal(version, rule, table=None):
    """Why auditctl ``version`` refuses a rule the baseline engine accepts, or None.

    ``table`` is the syscall table the rule resolves to (audit_semantics.canonical), if known.
    """
    if version is None:
        return None
    who = "auditctl %s" % version_text(version)
    if rule.list == "io_uring" and not has(version, "io_uring_list"):
        return "%s does not know the io_uring list" % who
    for field in rule.fields:
        if field.name == "saddr_fam" and not has(version, "saddr_fam_field"):
            return "%s does not know the field saddr_fam (-F unknown field)" % who
        if field.name == "exe" and field.op != "=" and not has(version, "exe_not_equal"):
            return "%s: exe only takes the = operator" % who
        if field.name == "arch" and str(field.value).lower() == "armv8l" and not has(version, "armv8l_arch"):
            return "%s does not know the machine armv8l (arch elf mapping not found)" % who
        if field.name == "exe" and rule.list == "exclude" and not has(version, "exclude_exe_field"):
            return "%s: only msgtype, *uid, *gid, pid and subj_* fields work on the exclude list" % who
    unknown = [token for token, _column in rule.syscalls if token in missing_syscalls(version, table)]
    if unknown:
        return "%s does not know the syscall %s on %s (Syscall name unknown; use its number)" % (
            who, unknown[0], table)
    return None
