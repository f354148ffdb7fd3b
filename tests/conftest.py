# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ``ansible_collections.auditkit.auditd`` for pytest, and
provide fixtures that run modules in-process on real temporary rules directories.

The repository root is the collection; a symlink under .build/ gives it the
namespace path that module_utils imports use, as an installed collection would have.
"""
import json
import os
import sys

import pytest

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 (scripts/core_matrix.sh runs the unit tests with 2.15-2.18)
    import contextlib

    from ansible.module_utils import basic
    from ansible.module_utils.common.text.converters import to_bytes

    @contextlib.contextmanager
    def patch_module_args(args):
        """What ansible.module_utils.testing.patch_module_args does in 2.19, for older cores."""
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE_ROOT = os.path.join(ROOT, ".build", "pytest")
LINK = os.path.join(NAMESPACE_ROOT, "ansible_collections", "auditkit", "auditd")

if not os.path.islink(LINK):
    os.makedirs(os.path.dirname(LINK), exist_ok=True)
    os.symlink(ROOT, LINK)
if NAMESPACE_ROOT not in sys.path:
    sys.path.insert(0, NAMESPACE_ROOT)


class ModuleRunner(object):
    def __init__(self, capsys):
        self.capsys = capsys

    def __call__(self, module, check=False, diff=False, **args):
        args = dict(args, _ansible_check_mode=check, _ansible_diff=diff)
        self.capsys.readouterr()
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exited:
                module.main()
        result = json.loads(self.capsys.readouterr().out)
        result["rc_exit"] = exited.value.code
        assert (exited.value.code != 0) == bool(result.get("failed")), result
        return result


@pytest.fixture
def run_module(capsys, monkeypatch):
    # Importing controller code (a filter or action plugin test in the same session) marks the
    # process as the controller, and modules would then send warnings to Display, not the result.
    try:
        from ansible.module_utils import _internal
    except ImportError:  # ansible-core before 2.18 has no such module, before 2.19 no such flag
        _internal = None
    if hasattr(_internal, "is_controller"):
        monkeypatch.setattr(_internal, "is_controller", False)
    return ModuleRunner(capsys)


@pytest.fixture
def rules_tree(tmp_path):
    """A fresh rules directory and compiled-file path; write({name: text}) fills it."""
    class Tree(object):
        rules_dir = tmp_path / "rules.d"
        compiled = tmp_path / "audit.rules"

        def write(self, files, mode=0o600):
            for name, text in files.items():
                with open(str(self.rules_dir / name), "w", newline="") as handle:
                    handle.write(text)
                os.chmod(str(self.rules_dir / name), mode)
            return self

        def read(self, name):
            with open(str(self.rules_dir / name), newline="") as handle:
                return handle.read()

        def args(self, **extra):
            return dict(dict(rules_dir=str(self.rules_dir), compiled_file=str(self.compiled), arch="x86_64"),
                        **extra)

        def mode(self, name):
            return oct(os.stat(str(self.rules_dir / name)).st_mode & 0o7777)

    Tree.rules_dir.mkdir()
    return Tree()


# --- which tests skipped, and why -----------------------------------------------------------------
# Every session ends with one line per skip reason ("46 tests skipped: ../shared absent"), also
# appended to $AUDITKIT_SKIP_LOG (make test prints them all at its end). In CI (CI=true, or
# AUDITKIT_STRICT_SKIPS=1) a skip whose condition CI provides fails the session: ../shared beside the
# clone (the upstream judges: vendored audit sources, research catalog) and what scripts/setup.sh
# installs. AUDITKIT_STRICT_SKIPS=0 turns that off.

SHARED = os.path.join(os.path.dirname(ROOT), "shared")
SKIP_CONDITIONS = (
    # (summary, is this reason about it, does this machine provide it)
    ("../shared absent", lambda reason: "../shared" in reason or "research catalog not present" in reason,
     lambda: os.path.isdir(SHARED)),
    ("audit userspace not built (make audit-userspace)", lambda reason: "run make audit-userspace" in reason,
     lambda: os.path.isdir(SHARED)),
    ("a tool scripts/setup.sh installs is missing", lambda reason: "scripts/setup.sh" in reason, lambda: True),
)
_skips = []


def _skip_summary(reason):
    for summary, matches, _provided in SKIP_CONDITIONS:
        if matches(reason):
            return summary
    return reason


def _strict_skips():
    setting = os.environ.get("AUDITKIT_STRICT_SKIPS")
    if setting in ("0", "1"):
        return setting == "1"
    return os.environ.get("CI") == "true"


def _meant_to_run(reason):
    return any(matches(reason) and provided() for _summary, matches, provided in SKIP_CONDITIONS)


def pytest_runtest_logreport(report):
    if report.skipped and isinstance(report.longrepr, tuple):
        reason = report.longrepr[2]
        _skips.append(reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason)


def _suite(config):
    paths = [os.path.relpath(os.path.abspath(str(a).split("::", maxsplit=1)[0]), ROOT) for a in config.args] or ["tests"]
    return " ".join(sorted(set(paths)))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    counts = {}
    for reason in _skips:
        counts[_skip_summary(reason)] = counts.get(_skip_summary(reason), 0) + 1
    lines = ["%d tests skipped: %s" % (n, summary) for summary, n in sorted(counts.items(), key=lambda i: -i[1])]
    if lines:
        terminalreporter.section("skipped, by reason")
        for line in lines:
            terminalreporter.write_line(line)
    log = os.environ.get("AUDITKIT_SKIP_LOG")
    if log and lines:
        with open(log, "a") as handle:
            handle.write("".join("%s: %s\n" % (_suite(config), line) for line in lines))
    if _strict_skips():
        unwanted = sorted(set(r for r in _skips if _meant_to_run(r)))
        for reason in unwanted:
            terminalreporter.write_line("FAILED (CI): skipped although this machine provides it: %s" % reason)


def pytest_sessionfinish(session, exitstatus):
    if _strict_skips() and any(_meant_to_run(r) for r in _skips) and session.exitstatus == 0:
        session.exitstatus = 1
