# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``-F`` fields auditctl documents: which operators and lists each accepts, and how its
value is canonicalised (private to auditkit.auditd).

Operator validity follows the kernel's audit_field_valid() (kernel/auditfilter.c); list
restrictions follow auditctl's own checks. Values are canonicalised so that spellings the
kernel stores identically compare equal (``unset`` = ``-1`` = ``4294967295``,
``0x10`` = ``020`` = ``16``, ``-EPERM`` = ``-1``, ``xw`` = ``wx``). Numbers are read as auditctl's
strtoul(value, NULL, 0) reads them (c_number), trailing characters ignored.
"""

import errno

# Longest first, so that "<=" is not read as "<".
OPERATORS = ("!=", "<=", ">=", "&=", "=", "<", ">", "&")
ALL_OPS = frozenset(OPERATORS)
NO_BIT_OPS = frozenset(("=", "!=", "<", ">", "<=", ">="))
EQ_OPS = frozenset(("=", "!="))
EQ_ONLY = frozenset(("=",))

LISTS = ("exit", "task", "user", "exclude", "filesystem", "io_uring")
ACTIONS = ("always", "never")

UID_FIELDS = ("uid", "euid", "suid", "fsuid", "auid", "obj_uid")
GID_FIELDS = ("gid", "egid", "sgid", "fsgid", "obj_gid")
FIELD_ALIASES = {"loginuid": "auid"}

UNSET = -1  # auid unset: written unset, -1 or 4294967295

FILETYPES = {
    "file": 0o100000, "dir": 0o040000, "socket": 0o140000, "link": 0o120000,
    "character": 0o020000, "block": 0o060000, "fifo": 0o010000,
}
FILETYPE_NAMES = dict((v, k) for k, v in FILETYPES.items())
FSTYPES = ("debugfs", "tracefs")
PERM_LETTERS = "rwxa"
MAX_KEY_LEN = 256  # AUDIT_MAX_KEY_LEN
MAX_PATH_LEN = 4095  # PATH_MAX without the NUL
AF_MAX = 46

SYSCALL_LISTS = frozenset(("exit", "io_uring"))
# auditctl refuses these fields on every list but exit, io_uring included ("can only be used with exit
# filter list", measured with auditctl 4.0.3)
EXIT_ONLY = frozenset(("exit",))
EXCLUDE_OK = frozenset(UID_FIELDS + GID_FIELDS + ("msgtype", "pid", "subj_user", "subj_role",
                                                  "subj_type", "subj_sen", "subj_clr", "exe"))


class FieldSpec(object):
    """How one field is written: value kind, valid operators, lists it may appear on."""

    __slots__ = ("kind", "ops", "lists")

    def __init__(self, kind, ops, lists=None):
        self.kind = kind
        self.ops = ops
        self.lists = frozenset(lists) if lists else None  # None: any list auditctl allows


FIELDS = {}
for _name in UID_FIELDS:
    FIELDS[_name] = FieldSpec("uid", NO_BIT_OPS)
for _name in GID_FIELDS:
    FIELDS[_name] = FieldSpec("gid", NO_BIT_OPS)
FIELDS["pid"] = FieldSpec("int", NO_BIT_OPS)
FIELDS["sessionid"] = FieldSpec("signed", NO_BIT_OPS)
FIELDS["ppid"] = FieldSpec("int", NO_BIT_OPS, EXIT_ONLY)  # auditctl: "ppid can only be used with exit"
FIELDS["inode"] = FieldSpec("int", EQ_OPS, EXIT_ONLY)  # auditctl: "inode only takes = or !="
FIELDS["devmajor"] = FieldSpec("int", NO_BIT_OPS, EXIT_ONLY)
FIELDS["devminor"] = FieldSpec("int", ALL_OPS, EXIT_ONLY)
FIELDS["pers"] = FieldSpec("int", ALL_OPS)
for _name in ("a0", "a1", "a2", "a3"):
    FIELDS[_name] = FieldSpec("arg", ALL_OPS, SYSCALL_LISTS)
FIELDS["exit"] = FieldSpec("exit", NO_BIT_OPS, EXIT_ONLY)
FIELDS["success"] = FieldSpec("int", NO_BIT_OPS, EXIT_ONLY)
FIELDS["saddr_fam"] = FieldSpec("family", NO_BIT_OPS, SYSCALL_LISTS)
FIELDS["msgtype"] = FieldSpec("msgtype", NO_BIT_OPS, ("user", "exclude"))
for _name in ("subj_user", "subj_role", "subj_type"):
    FIELDS[_name] = FieldSpec("string", EQ_OPS)
for _name in ("subj_sen", "subj_clr"):
    FIELDS[_name] = FieldSpec("string", NO_BIT_OPS)
for _name in ("obj_user", "obj_role", "obj_type"):
    FIELDS[_name] = FieldSpec("string", EQ_OPS, EXIT_ONLY)
for _name in ("obj_lev_low", "obj_lev_high"):
    FIELDS[_name] = FieldSpec("string", NO_BIT_OPS, EXIT_ONLY)
FIELDS["path"] = FieldSpec("path", EQ_OPS, EXIT_ONLY)
FIELDS["dir"] = FieldSpec("path", EQ_OPS, EXIT_ONLY)
FIELDS["exe"] = FieldSpec("path", EQ_OPS, SYSCALL_LISTS | frozenset(("task", "user", "exclude")))  # measured
FIELDS["perm"] = FieldSpec("perm", EQ_ONLY, ("exit",))  # auditctl: "perm only takes = operator"
FIELDS["filetype"] = FieldSpec("filetype", EQ_OPS, EXIT_ONLY)
FIELDS["fstype"] = FieldSpec("fstype", EQ_OPS, ("filesystem",))
FIELDS["arch"] = FieldSpec("arch", EQ_OPS, ("exit", "io_uring", "task"))
FIELDS["key"] = FieldSpec("key", EQ_OPS)
del _name

ERRNO_BY_NAME = dict((name, number) for number, name in errno.errorcode.items())


def split_field(text):
    """Split ``name<op>value`` into its three parts; raise ValueError when there is no operator."""
    for index, char in enumerate(text):
        if char in "!<>=&":
            for op in OPERATORS:
                if text.startswith(op, index):
                    return text[:index], op, text[index + len(op):]
            raise ValueError("bad operator in %r" % text)
    raise ValueError("missing operator in %r (expected one of %s)" % (text, " ".join(OPERATORS)))


def canonical_field_name(name):
    return FIELD_ALIASES.get(name, name)


U32 = 0xFFFFFFFF  # the kernel holds every -F value in 32 bits
_ULONG_MAX, _LONG_MAX = 2 ** 64 - 1, 2 ** 63 - 1


def starts_with_digit(text):
    return text[:1] != "" and text[0] in "0123456789"  # ASCII only: str.isdigit() takes "²"


def c_number(name, value, signed=False):
    """The number auditctl reads from ``value`` with strtoul/strtol(value, NULL, 0): base 16 after
    0x, 8 after a leading 0, else 10, up to the first character that is not a digit of that base
    (auditctl ignores the rest: ``1_000`` is 1, ``0b1`` and ``089`` are 0, ``020`` is 16), saturated
    at the C limits. The value must start with a digit (or ``-`` and a digit when ``signed``), as
    auditctl checks before it calls strtoul; raise ValueError otherwise."""
    negative = signed and value[:1] == "-"
    body = value[1:] if negative else value
    if not starts_with_digit(body):
        raise ValueError("%s value %r is not a number" % (name, value))
    base, digits = 10, "0123456789"
    if body[:2] in ("0x", "0X") and body[2:3] and body[2:3] in "0123456789abcdefABCDEF":
        base, digits, body = 16, "0123456789abcdefABCDEF", body[2:]
    elif body.startswith("0"):
        base, digits = 8, "01234567"
    length = 0
    while length < len(body) and body[length] in digits:
        length += 1
    number = int(body[:length], base)
    if negative:
        return -min(number, _LONG_MAX + 1)
    return min(number, _ULONG_MAX if not signed else _LONG_MAX)


def _uid_value(name, op, value):
    if value in ("unset", "-1", "4294967295"):
        if name != "auid":
            raise ValueError("%s cannot be unset (-1): only auid takes that value" % name)
        if op not in EQ_OPS:
            raise ValueError("auid unset (-1) only works with = or !=")
        return UNSET
    if value == "root":
        return 0
    if value[:1] == "-" and starts_with_digit(value[1:]):
        # auditctl reads "-N" with strtol into the 32 bits the kernel holds, and auditctl -l prints
        # every id from 2**31 up that way (4294967294 as -2)
        return c_number(name, value, signed=True) & U32
    if starts_with_digit(value):
        return c_number(name, value)
    if value and (value[0].isalpha() or value[0] == "_") and all(c.isalnum() or c in "._-" for c in value):
        return value  # a user or group name: auditctl resolves it on the host
    raise ValueError("%s value %r is neither a number nor a name" % (name, value))


def _int_value(name, op, value):
    return c_number(name, value)  # auditctl refuses a negative pid, inode, pers, ... (not a digit)


def _signed_value(name, op, value):
    return c_number(name, value, signed=True)  # sessionid: auditctl takes -N as well


def _arg_value(name, op, value):
    return c_number(name, value, signed=True) & U32  # shown in hex as the kernel holds it: -1 is 0xffffffff


def _family_value(name, op, value):
    number = c_number(name, value)
    if number >= AF_MAX:
        raise ValueError("saddr_fam %s is not an address family" % value)
    return number


def _text_value(name, op, value):
    return value  # strings, and arch (resolved later, against the machine)


def _key_value(name, op, value):
    if len(value.encode("utf-8", "surrogateescape")) > MAX_KEY_LEN:
        raise ValueError("key is longer than %d bytes" % MAX_KEY_LEN)
    return value


def _filetype_value(name, op, value):
    if value not in FILETYPES:  # auditctl takes names only (audit_name_to_ftype), never numbers
        raise ValueError("filetype %r is not a file type (use %s)" % (value, ", ".join(sorted(FILETYPES))))
    return FILETYPES[value]


def _fstype_value(name, op, value):
    if value not in FSTYPES:
        raise ValueError("fstype %r is not known to auditctl (use %s)" % (value, " or ".join(FSTYPES)))
    return value


def _msgtype_value(name, op, value):
    if starts_with_digit(value):
        return c_number(name, value, signed=True)
    if all(c.isalnum() or c == "_" for c in value):
        return value.upper()
    raise ValueError("msgtype %r is neither a number nor a message type name" % value)


def _exit_value(name, op, value):
    negative = value.startswith("-")
    body = value[1:] if negative else value
    if starts_with_digit(body):
        number = c_number(name, body, signed=True)
    elif body in ERRNO_BY_NAME:
        number = ERRNO_BY_NAME[body]
    else:
        raise ValueError("exit value %r is neither a number nor an errno name such as -EPERM" % value)
    return -number if negative else number


def _perm_value(name, op, value):
    if any(c not in PERM_LETTERS for c in value):
        raise ValueError("permission %r: use the letters r, w, x and a" % value)
    return "".join(c for c in PERM_LETTERS if c in value)


def _path_value(name, op, value):
    if not value.startswith("/"):
        raise ValueError("%s must be an absolute path, not %r" % (name, value))
    if len(value) > MAX_PATH_LEN:
        raise ValueError("%s is longer than %d characters" % (name, MAX_PATH_LEN))
    stripped = value.rstrip("/")
    return stripped or "/"


# Field kind -> function(name, op, written value) returning the canonical value.
VALUE_PARSERS = {
    "uid": _uid_value, "gid": _uid_value, "int": _int_value, "signed": _signed_value, "arg": _arg_value,
    "family": _family_value, "string": _text_value, "arch": _text_value, "key": _key_value,
    "filetype": _filetype_value, "fstype": _fstype_value, "msgtype": _msgtype_value,
    "exit": _exit_value, "perm": _perm_value, "path": _path_value,
}


def canonical_value(name, op, value, listing=False):
    """Return the canonical value of field ``name``; raise ValueError with the reason.
    ``listing``: ``value`` is from ``auditctl -l``, which prints a file type as its number."""
    if value == "":
        raise ValueError("field %s has no value" % name)
    if listing and name == "filetype" and value.isdigit() and int(value) in FILETYPE_NAMES:
        return int(value)
    return VALUE_PARSERS[FIELDS[name].kind](name, op, value)


def render_value(name, value, written=None):
    """Human-readable text of a canonical value (what this collection writes)."""
    kind = FIELDS[name].kind
    if kind == "uid" and value == UNSET:
        return "unset"
    if kind in ("uid", "gid") and written and (written[0].isalpha() or written[0] == "_"):
        return written  # a user or group name stays as the author wrote it
    if kind == "arg":
        return hex(value)
    if kind == "exit" and value < 0 and errno.errorcode.get(-value):
        return "-" + errno.errorcode[-value]
    if kind == "filetype" and value in FILETYPE_NAMES:
        return FILETYPE_NAMES[value]
    if kind == "arch":
        return written if written is not None else value
    return str(value)


def comparison_group(name):
    """``uid`` or ``gid`` for fields that -C may compare, else None."""
    if name in UID_FIELDS:
        return "uid"
    if name in GID_FIELDS:
        return "gid"
    return None
