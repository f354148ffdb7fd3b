# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run a module's main() in-process with real arguments and return its JSON result."""
import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args


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
def run_module(capsys):
    return ModuleRunner(capsys)


@pytest.fixture
def rules_tree(tmp_path):
    """A fresh rules directory and compiled-file path; write({name: text}) fills it."""
    class Tree(object):
        rules_dir = tmp_path / "rules.d"
        compiled = tmp_path / "audit.rules"

        def write(self, files):
            for name, text in files.items():
                (self.rules_dir / name).write_text(text)
            return self

        def read(self, name):
            return (self.rules_dir / name).read_text()

        def args(self, **extra):
            return dict(dict(rules_dir=str(self.rules_dir), compiled_file=str(self.compiled), arch="x86_64"),
                        **extra)

        def mode(self, name):
            return oct(os.stat(str(self.rules_dir / name)).st_mode & 0o7777)

    Tree.rules_dir.mkdir()
    return Tree()
