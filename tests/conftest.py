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
