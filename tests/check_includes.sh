#!/bin/sh
# Fails, naming each file and line, when code above the libraries reaches into their implementation:
# a source of tools/ or a public header of engine/, indexer/ or query/ that includes Xapian, ICU or
# a detail/ header. Internal headers live in detail/ folders, so they are not checked themselves.
# Usage: check_includes.sh SOURCE_DIR (CTest runs it as
# tools_and_public_headers_include_no_xapian_icu_or_internal_header).
set -u
root=${1:?usage: check_includes.sh SOURCE_DIR}
cd "$root" || exit 2

pattern="^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"](xapian\.h|xapian/|unicode/|([^>\"]*/)?detail/)"

files=$( (find tools -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \);
          find engine indexer query -type f \( -name '*.hpp' -o -name '*.h' \) ! -path '*/detail/*') | sort)
count=$(printf '%s\n' "$files" | grep -c .)
if [ "$count" -lt 20 ]; then
    echo "check_includes: found only $count files under $root; is it the source folder?" >&2
    exit 2
fi

# shellcheck disable=SC2086 # the file names hold no spaces
found=$(grep -nE "$pattern" $files)
status=$?
if [ "$status" -eq 0 ]; then
    printf '%s\n' "$found" |
        sed -E 's/^([^:]+:[0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*([^[:space:]]+).*$/\1: includes \2/' >&2
    echo "check_includes: tools/ and public headers may include only the libraries' public headers" \
         "(no Xapian, ICU or detail/ header); move the use behind a library API" >&2
    exit 1
fi
if [ "$status" -ne 1 ]; then
    echo "check_includes: grep failed ($status)" >&2
    exit 2
fi
echo "check_includes: $count files include no Xapian, ICU or internal header"
