#!/usr/bin/env bash
# Build a local test image from Debian packages (scripts/debian_image.sh: mmdebstrap + docker
# import, nothing pulled from a registry), rebuilt only when this recipe changes (its hash is
# stored as the image label auditkit.recipe).
#
#   scripts/build_image.sh [image-name] [recipe]
#
# Recipes:
#   debian12       (default; default image auditkit/debian12:test) Debian 12, Python 3.11,
#                  audit 3.0.9: the target of the Molecule scenarios, the demo and make bench.
#   debian11-py39  (default image auditkit/debian11-py39:test) Debian 11, Python 3.9.2, the
#                  interpreter AL2023 and RHEL 9 ship; audit 3.0, coreutils 8.32 and gawk as
#                  there. It also carries Debian's pytest, hypothesis, PyYAML and jsonschema
#                  so that the unit tests run under that real 3.9 interpreter
#                  (tests/integration/test_python39_target.py).
set -euo pipefail

RECIPE_NAME="${2:-}"
if [[ -z "${RECIPE_NAME}" ]]; then
    case "${1:-}" in
        *debian11-py39*) RECIPE_NAME=debian11-py39 ;;
        *) RECIPE_NAME=debian12 ;;
    esac
fi

case "${RECIPE_NAME}" in
    debian12)
        IMAGE="${1:-auditkit/debian12:test}"
        SUITE=bookworm
        # python3-apt: package_facts (the ComplianceAsCode baseline of make bench gathers them)
        PACKAGES=(python3 python3-apt auditd kmod openscap-scanner ssg-nondebian procps)
        ;;
    debian11-py39)
        IMAGE="${1:-auditkit/debian11-py39:test}"
        SUITE=bullseye
        # gawk: the awk of AL2023 and RHEL (augenrules differs under mawk, Debian's default)
        PACKAGES=(python3 auditd procps gawk python3-pytest python3-hypothesis python3-yaml python3-jsonschema)
        ;;
    *)
        echo "build_image: unknown recipe ${RECIPE_NAME} (debian12, debian11-py39)" >&2
        exit 2
        ;;
esac
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/debian_image.sh
source "${HERE}/debian_image.sh"

bash "${HERE}/ensure_docker.sh"
build_debian_image build_image "${IMAGE}" "$(recipe_hash "${HERE}/build_image.sh" "${RECIPE_NAME}")" "${SUITE}" "$(IFS=,; echo "${PACKAGES[*]}")" -- \
    --change "LABEL auditkit.recipe.name=${RECIPE_NAME}" \
    --change 'CMD ["sleep", "infinity"]'
