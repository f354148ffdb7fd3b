# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""module_utils/audit_arch.py: machines (uname -m), arch= values and syscall names per table.

Outside judges: upstream audit-userspace's lib/machinetab.h (the machine names libaudit knows)
and lib/<table>_table.h (syscall numbers), read from the vendored release tarballs (skipped
without them); the AUDIT_ARCH_* numbers are composed from the ELF machine numbers the way
include/uapi/linux/audit.h does."""
import pytest

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A

# --- machines and arch= per machine ---------------------------------------------------------------

# machine -> (native table, b64 table or None, b32 table)
PER_MACHINE = {
    "x86_64": ("x86_64", "x86_64", "i386"),
    "i386": ("i386", None, "i386"),
    "aarch64": ("aarch64", "aarch64", "arm"),
    "arm": ("arm", None, "arm"),
    "ppc64le": ("ppc64le", "ppc64le", "ppc"),
    "ppc64": ("ppc64le", "ppc64le", "ppc"),
    "ppc": ("ppc", None, "ppc"),
    "s390x": ("s390x", "s390x", "s390"),
    "s390": ("s390", None, "s390"),
}


def test_every_machine_is_described_here():
    assert set(PER_MACHINE) == set(A.MACHINES)


@pytest.mark.parametrize("machine", sorted(PER_MACHINE))
def test_b64_and_b32_resolve_to_the_machines_tables(machine):
    native, b64, b32 = PER_MACHINE[machine]
    assert A.native_table(machine) == native
    assert A.resolve_arch("b32", machine) == b32
    assert A.arch_bits(b32, machine) == "b32"
    if b64:
        assert A.resolve_arch("B64", machine) == b64
        assert A.arch_bits(b64, machine) == "b64"
    else:
        with pytest.raises(ValueError, match="no 64-bit ABI"):
            A.resolve_arch("b64", machine)


@pytest.mark.parametrize("machine", sorted(PER_MACHINE))
def test_a_named_arch_resolves_only_where_the_machine_runs_it(machine):
    usable = set(t for t in PER_MACHINE[machine] if t)
    for table in sorted(A.TABLES):
        if table in usable:
            assert A.resolve_arch(table, machine) == table
        else:
            with pytest.raises(ValueError, match="cannot be used on"):
                A.resolve_arch(table, machine)


@pytest.mark.parametrize("written, machine", [("i686", "i386"), ("AMD64", "x86_64"), (" x86_64\n", "x86_64"),
                                              ("arm64", "aarch64"), ("armv7l", "arm"), ("ppc64el", "ppc64le")])
def test_uname_spellings_normalise(written, machine):
    assert A.normalize_machine(written) == machine


@pytest.mark.parametrize("written, machine", [("armv5tel", "arm"), ("armv5tejl", "arm"), ("armv8l", "aarch64")])
def test_every_arm_spelling_of_libaudit_is_a_machine(written, machine):
    # lib/machinetab.h: armv5tel and armv5tejl are MACH_ARM, armv8l is MACH_AARCH64 (from audit 3.0.6)
    assert A.normalize_machine(written) == machine
    assert A.resolve_arch(written, "aarch64") == machine


@pytest.mark.parametrize("machine", ["riscv64", "", None, "mips"])
def test_unsupported_machines_are_refused_naming_the_supported_ones(machine):
    with pytest.raises(ValueError) as refused:
        A.normalize_machine(machine)
    assert "supported: aarch64, arm, i386" in str(refused.value)


# libaudit's machine constant -> the machine it is here
UPSTREAM_MACHINES = {"MACH_X86": "i386", "MACH_86_64": "x86_64", "MACH_PPC64": "ppc64", "MACH_PPC64LE": "ppc64le",
                     "MACH_PPC": "ppc", "MACH_S390X": "s390x", "MACH_S390": "s390", "MACH_ARM": "arm",
                     "MACH_AARCH64": "aarch64"}
# Names libaudit accepts that are refused here: riscv (no tables bundled) and uring (not a machine).
# The test fails when either side changes.
KNOWN_UNSUPPORTED = {"riscv32", "riscv64", "uring"}


def test_machine_names_agree_with_libaudits_machinetab(upstream):
    refused = set()
    for constant, name in upstream.entries("machinetab.h"):
        if constant in UPSTREAM_MACHINES and name not in KNOWN_UNSUPPORTED:
            assert A.normalize_machine(name) == UPSTREAM_MACHINES[constant], name
        else:
            with pytest.raises(ValueError):
                A.normalize_machine(name)
            refused.add(name)
    assert refused == KNOWN_UNSUPPORTED & upstream.names("machinetab.h")


# --- numeric arch= (AUDIT_ARCH_*) ---------------------------------------------------------------

ARCH_64BIT, ARCH_LE = 0x80000000, 0x40000000  # __AUDIT_ARCH_64BIT, __AUDIT_ARCH_LE
ELF_MACHINE = {"EM_386": 3, "EM_ARM": 40, "EM_PPC": 20, "EM_PPC64": 21, "EM_S390": 22, "EM_X86_64": 62,
               "EM_AARCH64": 183}
AUDIT_ARCH = {  # include/uapi/linux/audit.h
    "x86_64": ELF_MACHINE["EM_X86_64"] | ARCH_64BIT | ARCH_LE,
    "i386": ELF_MACHINE["EM_386"] | ARCH_LE,
    "aarch64": ELF_MACHINE["EM_AARCH64"] | ARCH_64BIT | ARCH_LE,
    "arm": ELF_MACHINE["EM_ARM"] | ARCH_LE,
    "armeb": ELF_MACHINE["EM_ARM"],
    "ppc64le": ELF_MACHINE["EM_PPC64"] | ARCH_64BIT | ARCH_LE,
    "ppc64": ELF_MACHINE["EM_PPC64"] | ARCH_64BIT,
    "ppc": ELF_MACHINE["EM_PPC"],
    "s390x": ELF_MACHINE["EM_S390"] | ARCH_64BIT,
    "s390": ELF_MACHINE["EM_S390"],
}


def test_arch_numbers_are_the_kernels_audit_arch_constants():
    expected = dict((number, A.normalize_machine(name) if name != "ppc64" else "ppc64le")
                    for name, number in AUDIT_ARCH.items())
    assert A.ARCH_NUMBERS == expected


@pytest.mark.parametrize("written", ["0xc000003e", "0xC000003E", str(AUDIT_ARCH["x86_64"])])
def test_a_numeric_arch_resolves_like_its_name(written):
    assert A.resolve_arch(written, "x86_64") == "x86_64"
    with pytest.raises(ValueError, match="cannot be used on aarch64"):
        A.resolve_arch(written, "aarch64")


@pytest.mark.parametrize("written, message", [("0x12345678", "unknown arch number"), ("sparc", "unknown arch")])
def test_unknown_arch_values_are_refused(written, message):
    with pytest.raises(ValueError, match=message):
        A.resolve_arch(written, "x86_64")


# --- syscall names and numbers ------------------------------------------------------------------

# table here -> upstream lib/<name>_table.h (32-bit PowerPC shares the ppc64le table)
UPSTREAM_TABLES = {"x86_64": "x86_64", "i386": "i386", "aarch64": "aarch64", "arm": "arm", "ppc64le": "ppc",
                   "ppc": "ppc", "s390x": "s390x", "s390": "s390"}
MODULE_SYSCALLS = ("init_module", "finit_module", "delete_module")


def test_every_table_is_compared():
    assert set(UPSTREAM_TABLES) == set(A.TABLES)


@pytest.mark.parametrize("table", sorted(UPSTREAM_TABLES))
def test_syscall_numbers_agree_with_upstreams_tables(upstream, table):
    theirs = dict((name, int(number)) for number, name in upstream.entries("%s_table.h" % UPSTREAM_TABLES[table]))
    for name in MODULE_SYSCALLS:  # what the profiles audit: each must exist, with upstream's number
        assert A.syscall_number(name, table) == theirs[name], (table, name)
    differing = dict((name, number) for name, number in A.TABLES[table].items() if theirs.get(name) != number)
    assert differing == {}  # newer releases add syscalls; none renumbers or drops one of ours


def test_syscall_number_takes_names_and_numbers_below_the_kernels_mask():
    assert A.syscall_number("finit_module", "x86_64") == 313
    assert A.syscall_number("313", "x86_64") == 313
    assert A.syscall_number("2047", "x86_64") == 2047
    with pytest.raises(ValueError, match="out of range for x86_64"):
        A.syscall_number("2048", "x86_64")
    with pytest.raises(ValueError, match="syscall finit_modul does not exist on i386"):
        A.syscall_number("finit_modul", "i386")


def test_syscall_names_round_trip_and_unnamed_numbers_stay_numbers():
    for table in A.TABLES:
        for name in MODULE_SYSCALLS:
            number = A.syscall_number(name, table)
            assert A.syscall_name(number, table) == name
    assert A.syscall_name(2047, "x86_64") == "2047"
    assert A.syscall_exists("delete_module", "s390") and not A.syscall_exists("delete_modules", "s390")
    assert A.TABLES["ppc"] is A.TABLES["ppc64le"]
