# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Machines, ``-F arch=`` values and syscall name/number resolution (private to auditkit.auditd).

A *machine* is what ``uname -m`` says about the host that loads the rules. A *table* is the
syscall table one ABI uses (``x86_64``, ``i386``, ...). ``arch=b64``/``arch=b32`` mean the
machine's 64-/32-bit table, exactly as libaudit's audit_determine_machine() decides.
"""

from ansible_collections.auditkit.auditd.plugins.module_utils.syscall_tables import SYSCALLS

# Table name -> syscall table. 32-bit PowerPC shares the ppc64le table in audit-userspace.
TABLES = dict(SYSCALLS)
TABLES["ppc"] = SYSCALLS["ppc64le"]

# Machine -> the tables its kernel runs, by bitness.
MACHINES = {
    "x86_64": {"b64": "x86_64", "b32": "i386"},
    "i386": {"b32": "i386"},
    "aarch64": {"b64": "aarch64", "b32": "arm"},
    "arm": {"b32": "arm"},
    "ppc64le": {"b64": "ppc64le", "b32": "ppc"},
    "ppc64": {"b64": "ppc64le", "b32": "ppc"},
    "ppc": {"b32": "ppc"},
    "s390x": {"b64": "s390x", "b32": "s390"},
    "s390": {"b32": "s390"},
}

# Other spellings of machines (uname -m variants and the names auditctl accepts for arch=).
MACHINE_ALIASES = {
    "i486": "i386", "i586": "i386", "i686": "i386", "amd64": "x86_64", "arm64": "aarch64",
    "armeb": "arm", "armv7l": "arm", "armv7": "arm", "armv6l": "arm", "armv5tel": "arm", "armv5tejl": "arm",
    "armv8l": "aarch64",  # libaudit's machinetab.h: MACH_AARCH64 (auditctl 3.0.6 and later)
    "ppc64el": "ppc64le",
}

# AUDIT_ARCH_* constants (include/uapi/linux/audit.h) -> table, for numeric arch= values.
ARCH_NUMBERS = {
    0xC000003E: "x86_64", 0x40000003: "i386", 0xC00000B7: "aarch64", 0x40000028: "arm",
    0x00000028: "arm", 0xC0000015: "ppc64le", 0x80000015: "ppc64le", 0x00000014: "ppc",
    0x80000016: "s390x", 0x00000016: "s390",
}

# Pseudo syscall set meaning "every syscall" (-S all, watches, exit rules without -S).
ALL_SYSCALLS = "all"


def normalize_machine(machine):
    """Return the canonical machine name for ``uname -m`` output, or raise ValueError."""
    name = (machine or "").strip().lower()
    name = MACHINE_ALIASES.get(name, name)
    if name not in MACHINES:
        raise ValueError("unsupported machine %r (supported: %s)" % (machine, ", ".join(sorted(MACHINES))))
    return name


def native_table(machine):
    """The table a rule without ``-F arch=`` uses on this machine (its widest ABI)."""
    tables = MACHINES[normalize_machine(machine)]
    return tables.get("b64", tables.get("b32"))


def _table_of_arch_value(value):
    """The table an explicit arch= value names, before checking the machine can run it."""
    lowered = value.lower()
    if lowered in TABLES:
        return lowered
    if lowered in MACHINE_ALIASES:
        return MACHINE_ALIASES[lowered]
    try:
        number = int(value, 0)
    except ValueError:
        raise ValueError("unknown arch %r" % value)
    if number not in ARCH_NUMBERS:
        raise ValueError("unknown arch number %s" % value)
    return ARCH_NUMBERS[number]


def resolve_arch(value, machine):
    """Map an ``arch=`` value (b32, b64, a machine name or number) to a syscall table name."""
    machine = normalize_machine(machine)
    tables = MACHINES[machine]
    lowered = value.lower()
    if lowered in ("b32", "b64"):
        if lowered not in tables:
            raise ValueError("arch=%s is not supported on %s (the machine has no %s-bit ABI)"
                             % (lowered, machine, lowered[1:]))
        return tables[lowered]
    table = _table_of_arch_value(value)
    if table not in tables.values():
        raise ValueError("arch=%s cannot be used on %s" % (value, machine))
    return table


def arch_bits(table, machine):
    """``b64`` or ``b32``: how auditctl -l prints the arch of ``table`` on ``machine``."""
    for bits, name in MACHINES[normalize_machine(machine)].items():
        if name == table:
            return bits
    raise ValueError("table %s is not used on %s" % (table, machine))


def syscall_number(token, table):
    """Resolve a ``-S`` item (name or number) against a table; raise ValueError naming both."""
    syscalls = TABLES[table]
    if token.isdigit():
        number = int(token)
        if number >= 2048:  # AUDIT_BITMASK_SIZE * 32: the kernel's syscall mask
            raise ValueError("syscall number %s is out of range for %s" % (token, table))
        return number
    if token not in syscalls:
        raise ValueError("syscall %s does not exist on %s" % (token, table))
    return syscalls[token]


def _reverse(table):
    names = {}
    for name, number in sorted(table.items()):
        names.setdefault(number, name)
    return names


NAMES = dict((table, _reverse(syscalls)) for table, syscalls in TABLES.items())


def syscall_name(number, table):
    """The name of a syscall number in a table, or its number as text when unnamed."""
    return NAMES[table].get(number, str(number))


def syscall_exists(name, table):
    return name in TABLES[table]
