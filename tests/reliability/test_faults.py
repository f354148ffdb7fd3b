# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults survived with nothing lost: writers killed mid-write, full, read-only and immutable
storage, odd files, concurrent runs. Results are summarised in docs/reliability.md."""
import json
import os
import random
import subprocess
import sys
import time

from conftest import NAMESPACE, ROOT, module_process, need_root

from ansible_collections.auditkit.auditd.plugins.modules import audit_rules, audit_rules_info

INIT = "-a always,exit -F arch=b64 -S init_module,finit_module -F auid>=1000 -F auid!=unset -k module_chng"
DELETE = "-a always,exit -F arch=b64 -S delete_module -F auid>=1000 -F auid!=unset -k module_chng"
KMOD = "-a always,exit -F path=/usr/bin/kmod -F perm=x -F auid>=1000 -F auid!=unset -k modules"


def _snapshot(directory):
    """Every entry: symlink target, or bytes (directories skipped)."""
    state = {}
    for name in sorted(os.listdir(str(directory))):
        path = directory / name
        if path.is_symlink():
            state[name] = ("link", os.readlink(str(path)))
        elif not path.is_dir():
            state[name] = path.read_bytes()
    return state


def test_sigkill_during_atomic_writes_never_leaves_a_partial_file(tmp_path):
    """200 writers, each killed with SIGKILL at a random moment while it rewrites the file."""
    old = "".join("# old line %06d %s\n" % (i, "x" * 60) for i in range(20000))  # ~1.5 MB: a wide write window
    new = "".join("-w /etc/new%06d -p wa -k n\n" % i for i in range(40000))
    (tmp_path / "old").write_text(old)
    (tmp_path / "new").write_text(new)
    (tmp_path / "args.json").write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {}}))
    target = tmp_path / "rules.d" / "audit.rules"
    target.parent.mkdir()
    target.write_text(old)
    env = dict(os.environ, PYTHONPATH=NAMESPACE)
    writer = os.path.join(ROOT, "tests", "reliability", "atomic_writer.py")
    done = subprocess.run([sys.executable, writer, str(tmp_path / "args.json"), str(target), str(tmp_path / "old"),
                           str(tmp_path / "new"), "200", "7"], env=env, stdout=subprocess.PIPE, text=True, check=True)
    states = done.stdout.split("\n")[:-1]
    assert len(states) == 200 and set(states) == {"old", "new"}, sorted(set(states))
    assert [n for n in os.listdir(str(target.parent)) if n.startswith(".auditkit-")]  # killed mid-write
    # the next real run removes what killed writers left, under the lock
    module = module_process(tmp_path, "after", rules=[INIT], rules_dir=str(target.parent), arch="x86_64",
                            dest=str(target), max_rules_lines=50000)  # 40,000 lines: beyond the default budget
    out, _err = module.communicate()
    assert module.returncode == 0, out
    assert [n for n in os.listdir(str(target.parent)) if n.startswith(".auditkit-")] == []


def _kill_in_write_window(process, rules_dir, delay):
    """Wait until the module's temporary file appears (its write has begun), then SIGKILL it
    ``delay`` seconds later. Returns whether the temporary file was seen."""
    while process.poll() is None:
        if any(n.startswith(".auditkit-") for n in os.listdir(str(rules_dir))):
            time.sleep(delay)
            process.kill()
            return True
    return False


def test_sigkill_of_the_real_module_keeps_files_whole(tmp_path):
    """The real audit_rules module, killed 30 times at offsets spread over its write window
    (from the moment its temporary file appears): the file is always one of its two whole
    states. Kills that land between the temporary file and the rename leave that temporary
    file behind; they are counted and must be a good share of the runs."""
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    base = "".join("# comment %06d %s\n" % (i, "c" * 4000) for i in range(800))  # ~3 MB: a wide write window
    (rules_dir / "audit.rules").write_text(base)
    states = {base, base + INIT + "\n" + DELETE + "\n"}
    rng = random.Random(11)
    outcomes = {"mid-write": 0, "after the rename": 0, "finished first": 0}
    for run in range(30):
        state = "absent" if INIT in (rules_dir / "audit.rules").read_text() else "present"  # always a write
        process = module_process(tmp_path, "run%d" % run, rules=[INIT, DELETE], rules_dir=str(rules_dir),
                                 arch="x86_64", state=state)
        seen = _kill_in_write_window(process, rules_dir, rng.uniform(0, 0.03))
        process.communicate()
        assert (rules_dir / "audit.rules").read_text() in states
        leftovers = [n for n in os.listdir(str(rules_dir)) if n.startswith(".auditkit-")]
        outcome = "mid-write" if leftovers else "after the rename" if seen and process.returncode < 0 else \
            "finished first"
        outcomes[outcome] += 1
        for name in leftovers:  # what the next real run would remove under the lock
            os.unlink(str(rules_dir / name))
    sys.stdout.write("module SIGKILL outcomes: %s\n" % outcomes)
    assert outcomes["mid-write"] >= 5, outcomes


def _fails_cleanly(run_module, rules_dir, words, **extra):
    before = _snapshot(rules_dir)
    result = run_module(audit_rules, rules=[INIT, DELETE, KMOD], rules_dir=str(rules_dir), arch="x86_64", **extra)
    assert result["failed"], result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert _snapshot(rules_dir) == before
    return result


def test_full_disk(run_module, small_tmpfs):
    rules_dir = small_tmpfs / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "audit.rules").write_text("-D\n" + "# padding\n" * 2000)
    with open(str(small_tmpfs / "filler"), "wb") as filler:
        try:
            filler.write(b"\0" * 1024 * 1024)
        except OSError:
            pass
    _fails_cleanly(run_module, rules_dir, [str(rules_dir), "no space left"])


def test_read_only_filesystem(run_module, small_tmpfs):
    rules_dir = small_tmpfs / "rules.d"
    rules_dir.mkdir()
    (rules_dir / "audit.rules").write_text("-D\n")
    subprocess.run(["mount", "-o", "remount,ro", str(small_tmpfs)], check=True)
    _fails_cleanly(run_module, rules_dir, [str(rules_dir), "Read-only file system"])


def test_immutable_destination(run_module, tmp_path):
    need_root()
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    dest = rules_dir / "audit.rules"
    dest.write_text("-D\n")
    dest.chmod(0o600)
    subprocess.run(["chattr", "+i", str(dest)], check=True)
    try:
        _fails_cleanly(run_module, rules_dir, [str(dest), "immutable"])
    finally:
        subprocess.run(["chattr", "-i", str(dest)], check=True)
    assert [n for n in os.listdir(str(rules_dir)) if n.startswith(".auditkit-")] == []


def test_odd_files_are_findings_and_their_bytes_survive(run_module, tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    rules = "".join("-a always,exit -F arch=b64 -S openat -F auid=%d -k big\n" % i for i in range(20000))
    comments = "".join("# %s\n" % ("z" * 1000) for _i in range(9000))
    (rules_dir / "20-big.rules").write_text(rules + comments)  # ~10 MB: 20,000 rules and long comments
    (rules_dir / "30-crlf.rules").write_bytes(b"-w /etc/passwd -p wa\r\n")
    (rules_dir / "31-bytes.rules").write_bytes(b"# caf\xe9\n")
    (rules_dir / "32-long.rules").write_text("# " + "y" * 1000000 + "\n")
    os.symlink(str(tmp_path / "gone"), str(rules_dir / "33-dangling.rules"))
    (rules_dir / "notes.txt").write_text("-e 0\n")
    assert os.path.getsize(str(rules_dir / "20-big.rules")) > 9 * 1024 * 1024
    budget = dict(max_rules_lines=40000)  # 29,000 lines: beyond the default budget (20,000), which is not tested here
    info = run_module(audit_rules_info, rules=[INIT], rules_dir=str(rules_dir), arch="x86_64", loaded=False, **budget)
    kinds = set(f["kind"] for f in info["findings"])
    assert {"unreadable_file", "invalid_utf8", "rejected_line", "ignored_file"} <= kinds
    before = _snapshot(rules_dir)
    run_module(audit_rules, rules=[INIT], rules_dir=str(rules_dir), arch="x86_64", **budget)
    after = _snapshot(rules_dir)
    assert after.pop("audit.rules") == (INIT + "\n").encode()
    assert after == before


def test_concurrent_runs_lose_nothing(tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    for round_ in range(8):
        dest = rules_dir / ("round%d.rules" % round_)
        mine = ["-w /etc/round%d-a%d -p wa -k a" % (round_, i) for i in range(30)]
        theirs = ["-w /etc/round%d-b%d -p wa -k b" % (round_, i) for i in range(30)]
        first = module_process(tmp_path, "a%d" % round_, rules=mine, rules_dir=str(rules_dir), arch="x86_64",
                               dest=str(dest))
        second = module_process(tmp_path, "b%d" % round_, rules=theirs, rules_dir=str(rules_dir), arch="x86_64",
                                dest=str(dest))
        for process in (first, second):
            out, err = process.communicate()
            assert process.returncode == 0, out + err
        lines = dest.read_text().splitlines()
        assert sorted(lines) == sorted(mine + theirs)
