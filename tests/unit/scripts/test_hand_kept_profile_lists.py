# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The profile lists kept by hand (the AWX survey's choices, the README's list) name exactly the
bundled profiles of data/profiles.yml, so a new profile cannot be left out of either."""
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return handle.read()


BUNDLED = set(yaml.safe_load(_read("data", "profiles.yml"))["profiles"])


def test_the_awx_survey_offers_auto_and_every_bundled_profile():
    choices = yaml.safe_load(_read("awx", "job_templates.yml"))[0]["vars"]["auditkit_profiles"]
    assert choices[0] == "auto" and len(choices) == len(set(choices))
    assert set(choices[1:]) == BUNDLED


def test_the_readme_lists_every_bundled_profile():
    bullet = re.search(r"^\* \*\*Profiles\*\*.*?(?=^\* )", _read("README.md"), re.S | re.M).group(0)
    assert set(re.findall(r"`((?:stig|cis)_[a-z0-9_]+)`", bullet)) == BUNDLED
