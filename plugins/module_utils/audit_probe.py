# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proof by events (private to auditkit.auditd): fire each audited module-loading action
harmlessly and read the records the kernel emits for it.

The kernel multicasts every audit record on the netlink group AUDIT_NLGRP_READLOG to any
listener with CAP_AUDIT_READ, whether or not auditd runs. The probe binds such a listener,
fires the actions a requirement audits from a forked child (named ``auditkit-probe``, so its
records are easy to find) and matches the SYSCALL records by pid, arch and syscall number.

Nothing can be loaded or unloaded: ``finit_module(-1, "", 0)`` (EBADF), ``init_module(NULL,
0, "")`` (ENOEXEC/EFAULT), ``delete_module("auditkit_probe_<random>", O_NONBLOCK)`` (ENOENT),
``create_module``/``query_module`` (ENOSYS on every current kernel); the binaries run with
``--version``. Kernels without module support return ENOSYS and still record the calls.
32-bit calls are made on x86_64 through ``int 0x80`` (the ia32 entry point) from a page
mapped below 4 GiB, in a child of their own (a kernel without ia32 emulation kills it).

This file holds the pure parts (record parser, planning, verdicts) and the small I/O parts
(netlink listener, firing); the module ``audit_rules_probe`` ties them together.
"""

import ctypes
import errno
import json
import os
import random
import select
import socket
import string
import struct
import time

from ansible_collections.auditkit.auditd.plugins.module_utils import audit_arch as A
from ansible_collections.auditkit.auditd.plugins.module_utils import audit_semantics as S
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_errors import AuditRuleError
from ansible_collections.auditkit.auditd.plugins.module_utils.audit_parser import parse_line

NETLINK_AUDIT = 9
AUDIT_NLGRP_READLOG = 1            # bind() takes a bitmask of groups: 1 << (1 - 1)
NLMSG_HEADER = struct.Struct("=IHHII")
SO_RCVBUFFORCE = 33
RECEIVE_BUFFER = 4 << 20
CAP_AUDIT_CONTROL = 30
CAP_AUDIT_READ = 37
PR_SET_NAME = 15
PROBE_COMM = "auditkit-probe"
UNSET = 4294967295                 # the kernel's unset login uid (auid -1)
O_NONBLOCK = 0o4000

STATUSES = ("recorded", "not_recorded", "inconclusive", "not_applicable")

# Record types the probe reads or shows (include/uapi/linux/audit.h).
RECORD_TYPES = {
    1006: "LOGIN", 1300: "SYSCALL", 1302: "PATH", 1305: "CONFIG_CHANGE", 1306: "SOCKADDR", 1307: "CWD",
    1309: "EXECVE", 1320: "EOE", 1321: "BPRM_FCAPS", 1327: "PROCTITLE", 1335: "EVENT_LISTENER",
}
SYSCALL, PATH, EXECVE, EVENT_LISTENER = 1300, 1302, 1309, 1335

# Fields the kernel writes with audit_log_untrustedstring(): quoted, or hex when they hold
# spaces, quotes or control characters (a key with several -k values is joined by \x01).
ENCODED_FIELDS = frozenset(["key", "comm", "exe", "name", "cwd", "proctitle", "data", "old", "new"])

MODULE_SYSCALLS = ("init_module", "finit_module", "delete_module", "create_module", "query_module")
EXEC_SYSCALLS = ("execve", "execveat")
PROCESS_IDS = ("uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid")


# --- records -------------------------------------------------------------------------------------

class Record(object):
    """One audit record: type number and name, event timestamp and serial, fields in order.

    Field values are text; ``(null)`` is None; hex-encoded untrusted strings are decoded.
    ``key`` is a list (the kernel joins several keys with \\x01)."""

    def __init__(self, record_type, text):
        self.type = record_type
        self.type_name = RECORD_TYPES.get(record_type, str(record_type))
        self.text = text
        self.timestamp, self.serial, body = _header(text)
        self.fields = parse_fields(body, encoded_args=record_type == EXECVE)

    def get(self, name, default=None):
        return self.fields.get(name, default)

    def number(self, name, base=10):
        """The field as an int (None when absent or not a number)."""
        value = self.fields.get(name)
        try:
            return int(value, base)
        except (TypeError, ValueError):
            return None

    @property
    def keys(self):
        value = self.fields.get("key")
        return value.split("\x01") if value else []

    def summary(self):
        """The fields a result shows of a SYSCALL record."""
        return {"serial": self.serial, "timestamp": self.timestamp, "type": self.type_name,
                "arch": A.ARCH_NUMBERS.get(self.number("arch", 16)), "syscall": self.number("syscall"),
                "success": self.get("success"), "exit": self.number("exit"), "pid": self.number("pid"),
                "auid": self.number("auid"), "comm": self.get("comm"), "exe": self.get("exe"),
                "keys": self.keys}


def _header(text):
    """('1796303827.412', 21, body) from 'audit(1796303827.412:21): body'."""
    if not text.startswith("audit("):
        raise ValueError("not an audit record: %r" % text[:40])
    end = text.find("): ")
    if end < 0:
        end = text.find(")")
        body = text[end + 1:].strip()
    else:
        body = text[end + 3:]
    stamp = text[len("audit("):end]
    timestamp, _sep, serial = stamp.partition(":")
    return timestamp, int(serial), body


def _decode_hex(value):
    try:
        data = bytearray.fromhex(value)
    except ValueError:
        return value
    return data.decode("utf-8", "replace")


def _is_hex(value):
    return len(value) % 2 == 0 and len(value) > 0 and all(c in string.hexdigits for c in value)


def _decoded(name, value, quoted, encoded_args):
    if quoted:
        return value
    if value == "(null)":
        return None
    if (name in ENCODED_FIELDS or (encoded_args and name[:1] == "a" and name[1:].isdigit())) and _is_hex(value):
        return _decode_hex(value)
    return value


def parse_fields(body, encoded_args=False):
    """{name: value} of a record body ``a=1 b="x y" msg='op=... res=1'`` (insertion order kept).
    ``encoded_args``: a0, a1, ... are untrusted strings (EXECVE), not the hex numbers of SYSCALL."""
    fields = {}
    order = []
    index, length = 0, len(body)
    while index < length:
        while index < length and body[index] == " ":
            index += 1
        equals = body.find("=", index)
        if equals < 0:
            break
        name = body[index:equals]
        index = equals + 1
        quote = body[index] if index < length and body[index] in "\"'" else None
        if quote:
            end = body.find(quote, index + 1)
            end = length if end < 0 else end
            value, index = body[index + 1:end], end + 1
        else:
            end = body.find(" ", index)
            end = length if end < 0 else end
            value, index = body[index:end], end
        if " " in name:  # a word without '=' before this field (kernel free text): keep the last word
            name = name.rsplit(" ", 1)[1]
        fields[name] = _decoded(name, value, bool(quote), encoded_args)
        order.append(name)
    return dict((name, fields[name]) for name in order)


def split_datagram(data):
    """[(type, text)] of the netlink messages in one datagram (payloads end at a NUL or the length)."""
    messages = []
    offset = 0
    while offset + NLMSG_HEADER.size <= len(data):
        length, msg_type, _flags, _seq, _pid = NLMSG_HEADER.unpack_from(data, offset)
        if length < NLMSG_HEADER.size:
            break
        payload = bytes(data[offset + NLMSG_HEADER.size:offset + length]).split(b"\x00", 1)[0]
        messages.append((msg_type, payload.decode("utf-8", "replace")))
        offset += (length + 3) & ~3
    return messages


def parse_datagram(data):
    records = []
    for msg_type, text in split_datagram(data):
        try:
            records.append(Record(msg_type, text))
        except ValueError:
            continue  # not a record (netlink control message)
    return records


def group_events(records):
    """{serial: [Record]} (records of one event share the serial)."""
    events = {}
    for record in records:
        events.setdefault(record.serial, []).append(record)
    return events


# --- the listener --------------------------------------------------------------------------------

class ProbeUnavailable(Exception):
    """The probe cannot run on this host; the message says why (every requirement inconclusive)."""


def has_capability(number, status_path="/proc/self/status"):
    try:
        with open(status_path) as handle:
            for line in handle:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> number & 1)
    except (IOError, OSError, ValueError):
        return False
    return False


class Listener(object):
    """A netlink socket bound to AUDIT_NLGRP_READLOG. ``wait_for_marker()`` collects records until
    the kernel's EVENT_LISTENER record of a second, short-lived socket of this process arrives
    (op=disconnect when it closes; the connect record of a bind may race with the group join):
    records are queued in order, so every record of an action finished before it has arrived."""

    def __init__(self):
        if not hasattr(socket, "AF_NETLINK"):
            raise ProbeUnavailable("no netlink sockets on this platform")
        self.records = []
        self.overflow = False
        self._disconnects = 0
        self._markers = 0
        self.pid = os.getpid()
        self.sock = self._bound_socket()
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
        except (OSError, socket.error):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)

    @staticmethod
    def _bound_socket():
        try:
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_AUDIT)
        except (OSError, socket.error) as exc:
            raise ProbeUnavailable("cannot open a kernel audit netlink socket (no CONFIG_AUDIT?): %s" % exc)
        try:
            sock.bind((0, AUDIT_NLGRP_READLOG))
        except (OSError, socket.error) as exc:
            sock.close()
            if getattr(exc, "errno", None) == errno.EPERM:
                raise ProbeUnavailable("no CAP_AUDIT_READ: this process may not read the kernel's audit records "
                                       "(not root, or a container without that capability)")
            raise ProbeUnavailable("cannot join the kernel's audit record multicast group: %s" % exc)
        return sock

    def close(self):
        self.sock.close()

    def _receive(self, timeout):
        ready = select.select([self.sock], [], [], max(timeout, 0))[0]
        if not ready:
            return []
        try:
            data = self.sock.recv(1 << 17)
        except (OSError, socket.error) as exc:
            if getattr(exc, "errno", None) == errno.ENOBUFS:
                self.overflow = True  # the socket's queue overflowed: records were dropped for us
                return []
            raise
        return parse_datagram(data)

    def _is_marker(self, record):
        return (record.type == EVENT_LISTENER and record.number("pid") == self.pid
                and record.get("op") == "disconnect")

    def wait_for_marker(self, timeout):
        """Emit a marker and collect records until it arrives; True when it did within timeout."""
        self._markers += 1
        self._bound_socket().close()
        deadline = time.time() + timeout
        while self._disconnects < self._markers:
            remaining = deadline - time.time()
            if remaining <= 0:
                return False
            for record in self._receive(remaining):
                self.records.append(record)
                if self._is_marker(record):
                    self._disconnects += 1
        return True


# --- firing --------------------------------------------------------------------------------------

class Action(object):
    """Something the probe fires: a module syscall through one ABI, or a program run with --version."""

    def __init__(self, kind, name, table=None, number=None, path=None):
        self.kind = kind          # "syscall" or "exec"
        self.name = name          # syscall name, or the program path
        self.table = table        # syscall table (x86_64, i386, aarch64, ...)
        self.number = number
        self.path = path

    @classmethod
    def syscall(cls, name, table):
        return cls("syscall", name, table, A.syscall_number(name, table))

    @classmethod
    def program(cls, path):
        return cls("exec", path, path=path)

    @property
    def ident(self):
        return (self.kind, self.name, self.table)

    def label(self, machine):
        if self.kind == "exec":
            return "%s --version" % self.path
        return "%s (%s, %s)" % (self.name, abi_of(self.table, machine), self.table)


def abi_of(table, machine):
    for abi, name in A.MACHINES[A.normalize_machine(machine)].items():
        if name == table:
            return abi
    return table


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _random_module_name():
    return "auditkit_probe_%08x" % random.getrandbits(32)


def native_arguments(name):
    """ctypes arguments that make the syscall fail before it can act on anything."""
    null, empty = ctypes.c_void_p(0), ctypes.c_char_p(b"")
    arguments = {
        "finit_module": (ctypes.c_long(-1), empty, ctypes.c_long(0)),
        "init_module": (null, ctypes.c_long(0), empty),
        "delete_module": (ctypes.c_char_p(_random_module_name().encode()), ctypes.c_long(O_NONBLOCK)),
        "create_module": (null, ctypes.c_long(0)),
        "query_module": (null, ctypes.c_long(0), null, ctypes.c_long(0), null),
    }
    return arguments[name]


def call_native(number, name):
    libc = _libc()
    result = libc.syscall(ctypes.c_long(number), *native_arguments(name))
    return int(result), ctypes.get_errno() if result < 0 else 0


# x86_64 machine code: push rbx; mov eax, nr; mov ebx, a1; mov ecx, a2; mov edx, a3; mov esi, a4;
# mov edi, a5; int 0x80; pop rbx; ret. rbx is callee-saved, the others are the caller's to lose.
def _ia32_code(number, args):
    args = (list(args) + [0] * 5)[:5]
    code = b"\x53" + b"\xb8" + struct.pack("<I", number)
    for opcode, value in zip((b"\xbb", b"\xb9", b"\xba", b"\xbe", b"\xbf"), args):
        code += opcode + struct.pack("<I", value & 0xFFFFFFFF)
    return code + b"\xcd\x80\x5b\xc3"


PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_PRIVATE, MAP_ANONYMOUS, MAP_32BIT = 0x02, 0x20, 0x40
PAGE = 4096


def call_ia32(number, name):
    """Make a 32-bit syscall from this 64-bit x86 process (arch=b32 in the record).
    Strings live in the same page below 4 GiB, so that 32-bit pointers reach them."""
    libc = _libc()
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = libc.mmap(None, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0)
    if page in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap below 4 GiB failed")
    empty, module_name = page + 2048, page + 2304
    ctypes.memmove(module_name, _random_module_name().encode() + b"\x00", 32)
    args = {"finit_module": (0xFFFFFFFF, empty, 0), "init_module": (0, 0, empty),
            "delete_module": (module_name, O_NONBLOCK), "create_module": (0, 0),
            "query_module": (0, 0, 0, 0, 0)}[name]
    code = _ia32_code(number, args)
    ctypes.memmove(page, code, len(code))
    if libc.mprotect(page, PAGE, PROT_READ | PROT_EXEC) != 0:
        raise OSError(ctypes.get_errno(), "mprotect PROT_EXEC refused (execmem not allowed here)")
    result = ctypes.CFUNCTYPE(ctypes.c_int)(page)()
    return int(result), -int(result) if result < 0 else 0


def set_comm(name=PROBE_COMM):
    try:
        _libc().prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()), 0, 0, 0)
    except (AttributeError, OSError):
        pass


def write_loginuid(uid):
    with open("/proc/self/loginuid", "w") as handle:
        handle.write(str(uid))


def read_loginuid(path="/proc/self/loginuid"):
    try:
        with open(path) as handle:
            return int(handle.read().strip())
    except (IOError, OSError, ValueError):
        return None


def _exec(run, path):
    """Run ``path --version``; an exec the kernel refuses (mode 0644, noexec mount) is this
    action's error, not the child's end."""
    try:
        rc, _out, _err = run([path, "--version"])
    except (IOError, OSError) as exc:
        return {"rc": None, "error": "cannot execute %s: %s" % (path, exc.strerror or exc)}
    return {"rc": rc}


def _child(actions, machine, loginuid, run, pipe):
    outcomes = {"pid": os.getpid(), "actions": [], "error": None}
    try:
        set_comm()
        if loginuid is not None:
            write_loginuid(loginuid)
        native = A.native_table(machine)
        for action in actions:
            if action.kind == "exec":
                outcomes["actions"].append(_exec(run, action.path))
            elif action.table == native:
                result, err = call_native(action.number, action.name)
                outcomes["actions"].append({"rc": result, "errno": err})
            else:
                result, err = call_ia32(action.number, action.name)
                outcomes["actions"].append({"rc": result, "errno": err})
    except BaseException as exc:  # pylint: disable=broad-except  # SystemExit too: reported to the parent, which decides
        outcomes["error"] = "%s: %s" % (type(exc).__name__, exc)
    os.write(pipe, json.dumps(outcomes).encode())
    os.close(pipe)


def fire(actions, machine, loginuid=None, run=None):
    """Run actions in a forked child (named auditkit-probe; it writes ``loginuid`` first when
    given). Returns {"pid", "actions": [{"rc", "errno", "error"}], "error", "signal"}; the child's
    programs run through ``run(argv) -> (rc, out, err)``, which must raise OSError rather than
    print a result (module.run_command with handle_exceptions=False). The child never prints and
    never returns into the caller's code; one that exits non-zero or reports nothing has the
    reason as its ``error``."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read_end)
            _child(actions, machine, loginuid, run, write_end)
            status = 0
        except BaseException:  # pylint: disable=broad-except  # the parent reports the exit status
            pass
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _pid, status = os.waitpid(pid, 0)
    return _child_outcome(pid, status, b"".join(chunks))


def _child_outcome(pid, status, report):
    signal = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    try:
        outcome = json.loads(report.decode())
    except ValueError:
        outcome = {"actions": [], "error": None}
    if not outcome.get("error") and signal is None:
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else None
        if code:
            outcome["error"] = "the child exited with status %s" % code
        elif not report:
            outcome["error"] = "the child reported nothing"
    outcome.update(pid=pid, signal=signal)
    return outcome


def action_outcome(outcome, index):
    """The outcome of the child as it concerns its action number ``index``: the action's own
    error (an exec that failed) is the outcome's error."""
    actions = outcome.get("actions") or []
    own = actions[index] if index < len(actions) else {}
    return dict(outcome, error=own.get("error") or outcome.get("error"))


# --- matching records to actions -----------------------------------------------------------------

def table_of(record):
    return A.ARCH_NUMBERS.get(record.number("arch", 16))


def find_record(records, action, pid, machine):
    """The SYSCALL record of ``action`` fired by the child ``pid`` (None when not recorded).
    Programs: the execve of ``action.path`` by a child of ``pid``."""
    by_serial = group_events(records)
    native = A.native_table(machine)
    exec_numbers = set(A.syscall_number(n, native) for n in EXEC_SYSCALLS if A.syscall_exists(n, native))
    for record in records:
        if record.type != SYSCALL:
            continue
        if action.kind == "syscall":
            if (record.number("pid") == pid and record.number("syscall") == action.number
                    and table_of(record) == action.table):
                return record
        elif record.number("ppid") == pid and record.number("syscall") in exec_numbers:
            names = [r.get("name") for r in by_serial[record.serial] if r.type == PATH and r.get("item") == "0"]
            if action.path in names:
                return record
    return None


# --- planning: which actions and which login uid a requirement needs ------------------------------

def _unsigned(value):
    return value & 0xFFFFFFFF if isinstance(value, int) else value


def uid_satisfies(uid, filters):
    """Does a login uid pass every (op, value) filter, compared as the kernel does (unsigned)?"""
    uid = _unsigned(uid)
    for op, value in filters:
        value = _unsigned(value)
        passes = {"=": uid == value, "!=": uid != value, "<": uid < value, ">": uid > value,
                  "<=": uid <= value, ">=": uid >= value, "&": bool(uid & value),
                  "&=": uid & value == value}.get(op)
        if not passes:
            return False
    return True


def describe_filters(filters):
    return " and ".join("auid%s%s" % (op, "unset" if _unsigned(value) == UNSET else value) for op, value in filters)


class Plan(object):
    """What one requirement needs fired: actions, and the login uid to fire them with
    (None: this process's own), or the reason it cannot be probed (status with reason)."""

    def __init__(self, actions=(), loginuid=None, status=None, reason=None, notes=()):
        self.actions = list(actions)
        self.loginuid = loginuid
        self.status = status
        self.reason = reason
        self.notes = list(notes)


class HostFacts(object):
    """What planning needs to know about the process and host (gathered by the module)."""

    def __init__(self, machine, loginuid, loginuid_immutable=False, can_set_loginuid=True, uid=0, gid=0,
                 ia32=True, test_loginuid=1000, change_loginuid=True, realpath=os.path.realpath,
                 exists=os.path.exists, kmod_copies=()):
        self.machine = A.normalize_machine(machine)
        self.loginuid = UNSET if loginuid is None else _unsigned(loginuid)
        self.loginuid_immutable = loginuid_immutable
        self.can_set_loginuid = can_set_loginuid
        self.uid = uid
        self.gid = gid
        self.ia32 = ia32
        self.test_loginuid = test_loginuid
        self.change_loginuid = change_loginuid
        self.realpath = realpath
        self.exists = exists
        self.kmod_copies = tuple(kmod_copies)  # module tools that are copies of kmod's bytes (safe to run --version)

    def loginuid_text(self, uid=None):
        uid = self.loginuid if uid is None else uid
        return "unset" if _unsigned(uid) == UNSET else str(uid)


def _split_filters(canon):
    auid, process, path, perm, other = [], [], [], [], []
    for item in canon.filters:
        name = item[0]
        if name == "auid":
            auid.append((item[1], item[2]))
        elif name in PROCESS_IDS:
            process.append(item)
        elif name == "path" and item[1] == "=":
            path.append(item[2])
        elif name == "perm" and item[1] == "=":
            perm.append(item[2])
        elif name != "key":
            other.append(item)
    return auid, process, path, perm, other


def _process_ids_pass(process_filters, facts):
    values = dict((name, facts.gid if "g" in name else facts.uid) for name in PROCESS_IDS)
    return all(uid_satisfies(values[name], [(op, value)]) for name, op, value in process_filters)


def _syscall_actions(canon, facts):
    """(actions, reason) for a syscall requirement."""
    if canon.syscalls == A.ALL_SYSCALLS:
        return [], "-S all: the probe fires only the module syscalls a requirement names"
    names = sorted(A.syscall_name(number, canon.table) for number in canon.syscalls)
    foreign = [n for n in names if n not in MODULE_SYSCALLS]
    if foreign:
        return [], "the probe fires only module syscalls, not %s" % ", ".join(foreign)
    native = A.native_table(facts.machine)
    if canon.table != native:
        if facts.machine != "x86_64":
            return [], ("32-bit (%s) calls cannot be made from this 64-bit probe on %s"
                        % (canon.table, facts.machine))
        if not facts.ia32:
            return [], "32-bit calls are not possible here: the kernel runs without ia32 emulation"
    return [Action.syscall(name, canon.table) for name in names], None


def _exec_action(path, perms, canon, facts):
    """(actions, reason, notes) for a path/watch requirement on a program."""
    if not any("x" in perm for perm in perms):
        return [], "the probe fires only executions (perm=x), not %s" % "/".join(perms), []
    if canon.syscalls != A.ALL_SYSCALLS:
        exec_numbers = set(A.syscall_number(n, canon.table) for n in EXEC_SYSCALLS
                           if A.syscall_exists(n, canon.table))
        if not exec_numbers & set(canon.syscalls):
            return [], "the rule's syscalls do not include execve", []
    if not facts.exists(path):
        return [], "%s does not exist on this host (is kmod installed?)" % path, []
    target = facts.realpath(path)
    if os.path.basename(target) != "kmod" and target not in facts.kmod_copies:
        return [], ("%s is not kmod (%s): the probe only runs kmod and its links with --version"
                    % (path, target)), []
    notes = []
    if target != path:
        notes.append("%s resolves to %s: a rule on a symlink does not see the program run through it" % (path, target))
    return [Action.program(path)], None, notes


def _choose_loginuid(auid_filters, facts):
    """(loginuid to write or None for our own, note, inconclusive reason)."""
    if uid_satisfies(facts.loginuid, auid_filters):
        return None, "fired with this session's login uid %s" % facts.loginuid_text(), None
    own = ("this session's login uid is %s, outside the rule's filter %s (a session with that login uid is "
           "never recorded by this rule)" % (facts.loginuid_text(), describe_filters(auid_filters)))
    if not facts.change_loginuid:
        return None, None, own + "; change_loginuid is false"
    if not uid_satisfies(facts.test_loginuid, auid_filters):
        return None, None, own + "; test_loginuid %s is outside it too" % facts.test_loginuid
    if facts.loginuid != UNSET and (facts.loginuid_immutable or not facts.can_set_loginuid):
        why = "immutable (--loginuid-immutable)" if facts.loginuid_immutable else "not changeable without CAP_AUDIT_CONTROL"
        return None, None, own + "; the login uid is set and %s, so a test login uid cannot be used" % why
    return facts.test_loginuid, ("fired from a child that set its login uid to %s (this session's is %s)"
                                 % (facts.test_loginuid, facts.loginuid_text())), None


def ia32_available(machine, cmdline_path="/proc/cmdline"):
    """Can this x86_64 kernel take 32-bit calls? (ia32_emulation=0 on the command line says no;
    a kernel built without it kills the probe's b32 child, which the verdict then reports)."""
    if A.normalize_machine(machine) != "x86_64":
        return False
    try:
        with open(cmdline_path) as handle:
            words = handle.read().split()
    except (IOError, OSError):
        return True
    return not any(w.split("=", 1)[1].lower() in ("0", "n", "no", "off", "false")
                   for w in words if w.startswith("ia32_emulation="))


def gather_facts(machine, status, test_loginuid=1000, change_loginuid=True):
    """HostFacts of this process: its login uid, whether it may set another, its ids."""
    immutable = status.get("loginuid_immutable")
    return HostFacts(machine, read_loginuid(), loginuid_immutable=bool(immutable) and immutable != "0",
                     can_set_loginuid=has_capability(CAP_AUDIT_CONTROL), uid=os.geteuid(), gid=os.getegid(),
                     ia32=ia32_available(machine), test_loginuid=test_loginuid, change_loginuid=change_loginuid)


def plan(requirement, facts):
    """The Plan of one Requirement (audit_requirements) on this host."""
    if requirement.not_applicable:
        return Plan(status="not_applicable", reason=requirement.not_applicable)
    canon = requirement.canon
    if canon is None or requirement.rule.kind != "rule":
        return Plan(status="inconclusive", reason="not a rule the probe can fire (a setting)")
    if canon.list != "exit" or canon.action != "always":
        return Plan(status="inconclusive", reason="the probe fires syscall events: only always,exit rules apply")
    auid, process, paths, perms, other = _split_filters(canon)
    if other:
        names = sorted(set(item[0] for item in other))
        return Plan(status="inconclusive", reason="the probe cannot produce events for the filter %s "
                    "(its calls fail by design, as root, from its own program)" % ", ".join(names))
    if not _process_ids_pass(process, facts):
        return Plan(status="inconclusive", reason="the probe runs as uid %d gid %d, outside the rule's "
                    "uid/gid filters" % (facts.uid, facts.gid))
    notes = []
    if paths:
        actions, reason, notes = _exec_action(paths[0], perms, canon, facts)
    else:
        actions, reason = _syscall_actions(canon, facts)
    if reason:
        return Plan(status="inconclusive", reason=reason, notes=notes)
    loginuid, note, reason = _choose_loginuid(auid, facts)
    if reason:
        return Plan(status="inconclusive", reason=reason, notes=notes)
    return Plan(actions, loginuid, notes=notes + [note])


# --- verdicts ------------------------------------------------------------------------------------

def _could_match(canon, record):
    """Could this kernel rule have produced the SYSCALL record (its syscall and arch)?"""
    table = table_of(record)
    if any(op == "=" and arch != table for op, arch in canon.arch):
        return False
    if any(op == "!=" and arch == table for op, arch in canon.arch):
        return False
    return canon.syscalls == A.ALL_SYSCALLS or record.number("syscall") in (canon.syscalls or ())


def matching_rules(record, kernel_rules, machine):
    """The kernel's rules (auditctl -l lines) carrying the record's key that could have
    produced it: the rule that matched, when keys tell rules apart."""
    wanted = set(record.keys)
    matched = []
    for line in kernel_rules if wanted else ():
        try:
            rule = parse_line(line, listing=True)
            if rule.kind != "rule" or not wanted & set(rule.keys):
                continue
            if _could_match(S.canonical(rule, machine), record):
                matched.append(line)
        except AuditRuleError:
            continue
    return matched


def verdict(requirement, requirement_plan, fired, machine, kernel_rules=(), lost=None):
    """The probe's result for one requirement.

    ``fired``: {(action.ident, loginuid): (outcome, record or None)}; ``lost``: why records may
    have been lost (then a missing record is inconclusive, not not_recorded)."""
    result = {"requirement": requirement.text, "controls": list(requirement.controls),
              "catalog_controls": list(requirement.catalog_controls), "advisory": requirement.advisory,
              "status": requirement_plan.status, "reason": requirement_plan.reason,
              "notes": list(requirement_plan.notes), "events": [], "records": []}
    if requirement_plan.status:
        return result
    missing, broken = [], []
    for action in requirement_plan.actions:
        outcome, record = fired[(action.ident, requirement_plan.loginuid)]
        event = {"action": action.label(machine), "loginuid": requirement_plan.loginuid, "record": None}
        if record is not None:
            summary = record.summary()
            summary["rules"] = matching_rules(record, kernel_rules, machine)
            event["record"] = summary
            event["status"] = "recorded"
            result["records"].append(summary)
        elif outcome.get("signal") or outcome.get("error"):
            event["status"] = "inconclusive"
            event["reason"] = _failure(outcome)
            broken.append(event["action"] + ": " + event["reason"])
        else:
            event["status"] = "not_recorded"
            missing.append(event["action"])
        result["events"].append(event)
    if missing and not lost:
        result["status"] = "not_recorded"
        result["reason"] = "no record for %s" % ", ".join(missing)
    elif missing or broken:
        result["status"] = "inconclusive"
        reasons = broken + (["no record for %s, but %s" % (", ".join(missing), lost)] if missing else [])
        result["reason"] = "; ".join(reasons)
    else:
        result["status"] = "recorded"
        keys = sorted(set(k for r in result["records"] for k in r["keys"]))
        result["reason"] = "every event recorded (keys: %s)" % (", ".join(keys) or "none")
    return result


def _failure(outcome):
    if outcome.get("signal"):
        return "the probe's child was killed by signal %d (a 32-bit call on a kernel without ia32 emulation?)" \
            % outcome["signal"]
    return "the probe's child failed: %s" % outcome["error"]


def summarize(results):
    counts = dict((status, 0) for status in STATUSES)
    for result in results:
        counts[result["status"]] += 1
    counts["total"] = len(results)
    return counts


def all_inconclusive(requirements, reason):
    results = []
    for requirement in requirements:
        status = "not_applicable" if requirement.not_applicable else "inconclusive"
        results.append({"requirement": requirement.text, "controls": list(requirement.controls),
                        "catalog_controls": list(requirement.catalog_controls), "advisory": requirement.advisory,
                        "status": status, "reason": requirement.not_applicable or reason, "notes": [],
                        "events": [], "records": []})
    return results


def run(requirements, facts, run_command, kernel_rules=(), timeout=5.0, lost_reader=None):
    """Plan, fire (one child per login uid and ABI), listen, judge. Returns (results, info).
    Raises ProbeUnavailable when no record can be read at all."""
    plans = [plan(r, facts) for r in requirements]
    groups = {}
    for requirement_plan in plans:
        for action in requirement_plan.actions:
            native = action.kind == "exec" or action.table == A.native_table(facts.machine)
            group = groups.setdefault((requirement_plan.loginuid, native), [])
            if action.ident not in [a.ident for a in group]:
                group.append(action)
    lost_before = lost_reader() if lost_reader else None
    listener = Listener()
    fired = {}
    try:
        outcomes = []
        for (loginuid, _native), actions in sorted(groups.items(), key=lambda item: (str(item[0][0]), item[0][1])):
            outcomes.append((loginuid, actions, fire(actions, facts.machine, loginuid, run_command)))
        marker = listener.wait_for_marker(timeout) if groups else True
    finally:
        listener.close()
    lost_after = lost_reader() if lost_reader else None
    for loginuid, actions, outcome in outcomes:
        for index, action in enumerate(actions):
            record = find_record(listener.records, action, outcome["pid"], facts.machine)
            fired[(action.ident, loginuid)] = (action_outcome(outcome, index), record)
    lost = _lost_reason(marker, listener.overflow, lost_before, lost_after, timeout)
    results = [verdict(r, p, fired, facts.machine, kernel_rules, lost) for r, p in zip(requirements, plans)]
    info = {"fired": sum(len(actions) for actions in groups.values()), "children": len(groups),
            "records_read": len(listener.records), "marker_seen": marker, "lost_before": lost_before,
            "lost_after": lost_after, "socket_overflow": listener.overflow}
    return results, info


def _lost_reason(marker, overflow, lost_before, lost_after, timeout):
    if overflow:
        return "the listener's socket overflowed (records dropped before they were read)"
    if lost_before is not None and lost_after is not None and lost_after > lost_before:
        return "the kernel lost %d records meanwhile (backlog full: raise -b or lower the load)" % (
            lost_after - lost_before)
    if not marker:
        return "the probe's own marker record did not arrive within %s s (records may be late or filtered)" % timeout
    return None
