#!/usr/bin/env bash
# Build a local test image with mmdebstrap and import it into docker.
# No container registry is reachable from CI, so nothing here pulls an image: the root
# filesystem comes from Debian's package mirror. The image is rebuilt only when this
# recipe changes (its hash is stored as the image label auditkit.recipe).
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
MIRROR="${AUDITKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RECIPE="$({ cat "${HERE}/build_image.sh"; echo "${RECIPE_NAME}"; } | sha256sum | cut -c1-16)"

bash "${HERE}/ensure_docker.sh"

current="$(docker image inspect --format '{{ index .Config.Labels "auditkit.recipe" }}' "${IMAGE}" 2>/dev/null || true)"
if [[ "${current}" == "${RECIPE}" ]]; then
    echo "build_image: ${IMAGE} is up to date (recipe ${RECIPE_NAME} ${RECIPE})"
    exit 0
fi

WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
echo "build_image: building ${IMAGE} from Debian ${SUITE} (recipe ${RECIPE_NAME} ${RECIPE})"
mmdebstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "${SUITE}" "${WORK}/rootfs.tar" "deb ${MIRROR} ${SUITE} main" "deb ${MIRROR} ${SUITE}-updates main"
docker import \
    --change "LABEL auditkit.recipe=${RECIPE}" \
    --change "LABEL auditkit.recipe.name=${RECIPE_NAME}" \
    --change 'CMD ["sleep", "infinity"]' \
    "${WORK}/rootfs.tar" "${IMAGE}" >/dev/null
echo "build_image: ${IMAGE} built"
