# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile rules directories through the real controller (docs/reliability.md).

AUDITKIT_FUZZ_TREES (default 200) random rules directories, one local-connection inventory host
each: random bytes, Latin-1 and UTF-16 text, NUL, lone CR, CRLF, overlong lines, valid rules
mixed with garbage, a non-UTF-8 file name, hostile names (a CR and a heading, HTML, an ANSI
escape and a pipe), FIFOs, directories and dangling symlinks named *.rules, symlinks to real
files inside rules_dir (written through) and outside it (never written through), files
unreadable to the unprivileged user, a 10 MB file, and one tree beyond the default
max_rules_lines (every task fails naming the limit). Through ansible-playbook:

- play 1 (must change nothing at all): audit_rules_info as the unprivileged user "nobody" (it
  meets really unreadable files: root reads everything); audit_rules in check mode as root;
  audit_rules_load as nobody: validation runs, the kernel is out of reach for nobody, so
  loading is off (loaded=false, nothing compiled, the kernel untouched).
- play 2: audit_rules for real as root, in diff mode.

Every result must reach the controller and be accepted, or be a clean failure message; every
task has a timeout (a hang fails, it is not a speed goal); a failed write leaves every file
byte-identical (bytes, type, mode, owner, link target), a successful one changes only its
destination. The seed is printed; AUDITKIT_FUZZ_SEED=<seed> replays a run.
"""
import os
import random
import shutil
import stat

import pytest
from controller import broken, inventory, picture, run_playbook, world_readable_dir

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
DELETE = "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"
VALID = [INIT, DELETE, "-D", "-b 8192", "-w /etc/passwd -p wa -k identity", "-a task,never",
         "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules",
         "-a exit,always -F arch=b32 -S init_module -k m", "-w /etc/sudoers.d/ -p wa", "-e 1",
         "-a always,exit -F arch=b64 -S openat -F uid=no-such-user-auditkit -k x", "-w relative/path -p wa",
         "-a always,exit -F arch=b64 -S not_a_syscall", "-f 1", "--backlog_wait_time 60000"]
NAMES = ["audit.rules", "10-base.rules", "30-site.rules", "50-x.rules", "99-z.rules", "a.rules", "notes.txt",
         b"30-caf\xe9.rules", "10-a\r# All hosts compliant\r.rules", "20-<img src=x onerror=alert(1)>.rules",
         "40-\x1b[31mred|x.rules"]
TREES = int(os.environ.get("AUDITKIT_FUZZ_TREES", "200"))
TASK_TIMEOUT = 600  # seconds: generous, so that only a hang makes a task fail on it
NOBODY = "become: true\n      become_user: nobody\n      become_method: ansible.builtin.su\n" \
         "      become_flags: '-s /bin/sh'"

PLAY_READ = """
- name: Read, plan and validate hostile trees (nothing may change)
  hosts: fleet
  gather_facts: false
  tasks:
    - name: info
      auditkit.auditd.audit_rules_info:
        rules_dir: "{{ fuzz_rules_dir }}"
        compiled_file: "{{ fuzz_compiled }}"
        profile: stig_rhel9
        arch: x86_64
      %(nobody)s
      timeout: %(timeout)d
      ignore_errors: true
    - name: check
      auditkit.auditd.audit_rules:
        rules_dir: "{{ fuzz_rules_dir }}"
        compiled_file: "{{ fuzz_compiled }}"
        rules: ["%(init)s", "%(delete)s"]
        arch: x86_64
      check_mode: true
      diff: true
      timeout: %(timeout)d
      ignore_errors: true
    - name: load
      auditkit.auditd.audit_rules_load:
        rules_dir: "{{ fuzz_rules_dir }}"
        compiled_file: "{{ fuzz_compiled }}"
        arch: x86_64
      %(nobody)s
      timeout: %(timeout)d
      ignore_errors: true
"""

PLAY_WRITE = """
- name: Write into hostile trees
  hosts: fleet
  gather_facts: false
  tasks:
    - name: write
      auditkit.auditd.audit_rules:
        rules_dir: "{{ fuzz_rules_dir }}"
        compiled_file: "{{ fuzz_compiled }}"
        rules: ["%(init)s", "%(delete)s"]
        arch: x86_64
      diff: true
      timeout: %(timeout)d
      ignore_errors: true
"""


def _line(rng):
    kind = rng.random()
    if kind < 0.45:
        return rng.choice(VALID).encode()
    if kind < 0.6:
        return rng.randbytes(rng.randrange(1, 80))
    if kind < 0.7:
        return ("# r\xe9gle du site %d" % rng.randrange(1000)).encode("latin-1")
    if kind < 0.8:
        return rng.choice(VALID).encode() + b"\x00" + b"junk"
    if kind < 0.9:
        return "".join(chr(rng.randrange(32, 127)) for _count in range(rng.randrange(1, 120))).encode()
    return rng.choice(VALID).encode() + b"\r" + rng.choice(VALID).encode()


def _content(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return rng.randbytes(rng.randrange(0, 4096))
    if kind == 1:
        return ("# r\xe9gle du site\n%s\n" % INIT).encode("latin-1")
    if kind == 2:
        return ("# UTF-16 text\n%s\n" % rng.choice(VALID)).encode(rng.choice(["utf-16", "utf-16-be"]))
    if kind == 3:
        return b"\xff\xfe" + rng.choice(VALID).encode() + b"\n"
    if kind == 4:
        return ("# " + "y" * rng.randrange(5000, 400000) + "\n" + rng.choice(VALID) + "\n").encode()
    if kind == 5:
        return b"\r\n".join(rng.choice(VALID).encode() for _count in range(rng.randrange(1, 6))) + b"\r\n"
    ending = rng.choice([b"\n", b"\n", b"\r", b""])
    return b"\n".join(_line(rng) for _count in range(rng.randrange(1, 40))) + ending


def _linked_file(rng, directory, path, content=None):
    """A real file in ``directory`` (inside rules_dir or outside it) and ``path`` a link to it."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "linked-%d.rules" % rng.randrange(10 ** 6))
    with open(target, "wb") as handle:
        handle.write(_content(rng) if content is None else content)
    os.chmod(target, rng.choice([0o600, 0o644]))
    os.symlink(os.path.relpath(target, os.fsdecode(os.path.dirname(path))), path)


def _entry(rng, directory, name, outside):
    path = os.path.join(os.fsencode(directory), os.fsencode(name))
    kind = rng.random()
    if kind < 0.06:
        os.mkfifo(path)
    elif kind < 0.12:
        os.mkdir(path)
    elif kind < 0.18:
        os.symlink(os.path.join(outside, "gone-%d" % rng.randrange(10 ** 6)), path)
    elif kind < 0.24:  # a link the modules write through: its file is inside rules_dir
        _linked_file(rng, os.path.join(directory, "vendor"), path)
    elif kind < 0.30:  # a link out of rules_dir: read, never written through
        _linked_file(rng, outside, path)
    else:
        with open(path, "wb") as handle:
            handle.write(_content(rng))
        os.chmod(path, 0o000 if rng.random() < 0.1 else rng.choice([0o600, 0o640, 0o644]))


def build_tree(rng, base, index):
    """One host's sandbox: base/<index>/rules.d (random entries) and the compiled-file path."""
    host_dir = os.path.join(base, "t%03d" % index)
    rules_dir = os.path.join(host_dir, "rules.d")
    os.makedirs(rules_dir)
    os.chmod(host_dir, 0o755)
    os.chmod(rules_dir, 0o755)
    names = rng.sample(NAMES, rng.randrange(1, len(NAMES) + 1))
    if index == 2:  # one destination that is a link to a file directly in rules_dir: written through
        # alone and holding no rule, so the write is certain (random neighbours could already cover
        # the requirement, or stop the load, and then nothing is written: seed 3386339612)
        names = []
        _linked_file(rng, rules_dir, os.path.join(os.fsencode(rules_dir), b"audit.rules"), b"-D\n")
    for name in names:
        _entry(rng, rules_dir, name, host_dir)
    if index == 0:  # one 10 MB file: valid rules, a byte that is not UTF-8 and long comments
        big = "".join("-a always,exit -F arch=b64 -S openat -F auid=%d -k big\n" % i for i in range(500))
        with open(os.path.join(rules_dir, "20-big.rules"), "wb") as handle:
            handle.write(big.encode() + b"# \xe9" + b"z" * (10 * 1024 * 1024 - len(big)) + b"\n")
        os.chmod(os.path.join(rules_dir, "20-big.rules"), 0o644)
    if index == 1:  # beyond the default max_rules_lines (20,000): every task fails naming the limit
        with open(os.path.join(rules_dir, "25-oversized.rules"), "wb") as handle:
            handle.write(b"-w /etc/passwd -p wa -k identity\n" * 20001)
    compiled = os.path.join(host_dir, "audit.rules")
    if rng.random() < 0.3:
        with open(compiled, "wb") as handle:
            handle.write(_content(rng))
    return rules_dir, compiled


def _playbook(workdir, name, text):
    path = os.path.join(workdir, name)
    with open(path, "w") as handle:
        handle.write(text % dict(timeout=TASK_TIMEOUT, init=INIT, delete=DELETE, nobody=NOBODY))
    return path


def _trees_state(trees):
    """Per host: rules_dir, its vendor/ directory (files that links lead to) and the host directory."""
    return dict((host, (picture(rules_dir), picture(os.path.dirname(rules_dir)), _vendor(rules_dir)))
                for host, (rules_dir, _compiled) in trees.items())


def _vendor(rules_dir):
    vendor = os.path.join(rules_dir, "vendor")
    return picture(vendor) if os.path.isdir(vendor) and not os.path.islink(vendor) else None


def _check_results(results, hosts, tasks):
    problems = []
    for host in hosts:
        for task in tasks:
            got = results.get(host, {}).get(task)
            why = "no result" if got is None else broken(got)
            if why:
                problems.append("%s %s: %s" % (host, task, why))
    return problems


@pytest.fixture
def sandbox():
    if os.geteuid() != 0:
        pytest.skip("not root: the fuzz runs tasks as root and as nobody")
    path = world_readable_dir("auditkit-fuzz-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_hostile_trees_through_the_controller(sandbox):
    seed = int(os.environ.get("AUDITKIT_FUZZ_SEED") or random.SystemRandom().randrange(2 ** 32))
    print("controller fuzz seed: %d (replay: AUDITKIT_FUZZ_SEED=%d)" % (seed, seed))
    rng = random.Random(seed)
    trees = dict(("t%03d" % i, build_tree(rng, sandbox, i)) for i in range(TREES))
    hosts = inventory(os.path.join(sandbox, "hosts.ini"), dict(
        (host, {"fuzz_rules_dir": rules_dir, "fuzz_compiled": compiled}) for host, (rules_dir, compiled) in trees.items()))
    before = _trees_state(trees)

    done, results = run_playbook(sandbox, _playbook(sandbox, "read.yml", PLAY_READ), hosts)
    assert "PLAY RECAP" in done.stdout, "seed %d\n%s" % (seed, done.stdout[-3000:])
    problems = _check_results(results, trees, ["info", "check", "load"])
    assert not problems, "seed %d:\n%s" % (seed, "\n".join(problems[:20]))
    changed = [host for host, state in _trees_state(trees).items() if state != before[host]]
    assert not changed, "seed %d: reading, check mode or validation changed %s" % (seed, changed)
    infos = [results[h]["info"]["result"] for h in trees]
    assert any("Permission denied" in f["message"] for r in infos for f in r.get("findings", [])), \
        "no really unreadable file was met"
    if TREES > 1:  # the oversized tree: every reading task fails naming the limit
        for task in ("info", "check", "load"):
            assert "max_rules_lines=20000" in results["t001"][task]["result"].get("msg", ""), results["t001"][task]
    loads = [results[h]["load"]["result"] for h in trees]
    assert not any(r.get("loaded") for r in loads), "the fuzz must never load the kernel"

    done, results = run_playbook(sandbox, _playbook(sandbox, "write.yml", PLAY_WRITE), hosts)
    assert "PLAY RECAP" in done.stdout, "seed %d\n%s" % (seed, done.stdout[-3000:])
    problems = _check_results(results, trees, ["write"])
    assert not problems, "seed %d:\n%s" % (seed, "\n".join(problems[:20]))
    failed, written, links = 0, 0, 0
    for host, (rules_dir, _compiled) in trees.items():
        after = _trees_state({host: (rules_dir, _compiled)})[host]
        result = results[host]["write"]
        if result["status"] == "failed":
            failed += 1
            assert after == before[host], "seed %d: %s failed (%s) but changed files" % (
                seed, host, result["result"]["msg"])
            continue
        rules_after, outside_after, vendor_after = after
        assert outside_after == before[host][1], "seed %d: %s: files outside rules_dir changed" % (seed, host)
        dest = b"audit.rules"
        dest_before = before[host][0].get(dest)
        through_link = dest_before is not None and stat.S_ISLNK(dest_before[0])
        written_names = (dest, os.path.basename(dest_before[4])) if through_link else (dest,)
        others_before = dict((k, v) for k, v in before[host][0].items() if k not in written_names)
        assert dict((k, v) for k, v in rules_after.items() if k not in written_names) == others_before, (seed, host)
        if not through_link:
            assert vendor_after == before[host][2], (seed, host)
        added = result["result"].get("added") or []
        if added:
            written += 1
            if through_link:  # written through: the link stays as it was, the file it leads to changed
                links += 1
                assert rules_after[dest] == dest_before, (seed, host)
                with open(os.path.join(os.fsencode(rules_dir), dest), "rb") as handle:
                    content = handle.read()
            else:
                content = rules_after[dest][4]
                assert stat.S_ISREG(rules_after[dest][0]) and rules_after[dest][1] == 0o600, (seed, host)
            assert all(entry["rule"].encode() in content for entry in added), (seed, host, added)
        elif dest_before is not None and not through_link:  # at most the mode enforced (0600)
            assert rules_after[dest][4] == dest_before[4], (seed, host)
        elif dest_before is None:
            assert dest not in rules_after, (seed, host)
    print("controller fuzz: %d trees, %d writes (%d through a link), %d clean failures"
          % (len(trees), written, links, failed))
    assert written and failed, "the fuzz should meet both outcomes (seed %d)" % seed
    assert links or TREES < 3, "the destination linked into rules_dir was not written through (seed %d): %s" % (
        seed, results["t002"]["write"])
