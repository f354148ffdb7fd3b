# shellcheck shell=bash
# Sourced by scripts/build_image.sh and scripts/build_standin_image.sh: one way to make a local
# docker image from Debian packages. No container registry is reachable from CI, so nothing here
# pulls an image: mmdebstrap builds the root filesystem from Debian's package mirror and docker
# import turns it into an image. The image carries the label auditkit.recipe (a hash of the recipe)
# and is rebuilt only when that hash changes.

DEBIAN_MIRROR="${AUDITKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# image_label <image> <label>: the label's value, empty when the image or the label is absent
image_label() {
    docker image inspect --format "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true
}

# recipe_hash <script> [text]: 16 hex digits over the building script, this file and the text
# (a recipe's name: whatever else selects what gets built)
recipe_hash() {
    { cat "$1" "${BASH_SOURCE[0]}"; echo "${2:-}"; } | sha256sum | cut -c1-16
}

# build_debian_image <who> <image> <recipe-hash> <suite> <package,...> [mmdebstrap option...] [-- docker import option...]
# Builds <image> from Debian <suite> (minbase plus the packages) unless it already carries
# auditkit.recipe=<recipe-hash>; <who> prefixes every line it prints.
build_debian_image() (
    local who="$1" image="$2" recipe="$3" suite="$4" packages="$5"
    shift 5
    local strap_options=() import_options=()
    while [[ $# -gt 0 && "$1" != -- ]]; do
        strap_options+=("$1")
        shift
    done
    if [[ $# -gt 0 ]]; then
        shift
        import_options=("$@")
    fi
    if [[ "$(image_label "${image}" auditkit.recipe)" == "${recipe}" ]]; then
        echo "${who}: ${image} is up to date (recipe ${recipe})"
        return 0
    fi
    local work
    work="$(mktemp -d)"
    trap 'rm -rf "${work}"' EXIT
    echo "${who}: building ${image} from Debian ${suite} (recipe ${recipe})"
    mmdebstrap --variant=minbase --include="${packages}" "${strap_options[@]}" \
        "${suite}" "${work}/rootfs.tar" "deb ${DEBIAN_MIRROR} ${suite} main" "deb ${DEBIAN_MIRROR} ${suite}-updates main"
    docker import --change "LABEL auditkit.recipe=${recipe}" "${import_options[@]}" \
        "${work}/rootfs.tar" "${image}" >/dev/null
    echo "${who}: ${image} built"
)
