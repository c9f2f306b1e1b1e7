#!/bin/bash
# Every C file of the tree follows the root .clang-format: prints the first violations and
# fails otherwise (fix with: clang-format -i FILE). Skipped (77) without clang-format.
cd "${QV_SRC:?run through meson test}" || exit 1
command -v clang-format >/dev/null || { echo "clang-format not installed: skipped"; exit 77; }
mapfile -t files < <(find bench control dataplane include lib pmd-glue tests vhost \
	\( -name '*.c' -o -name '*.h' \) -not -path '*/build*' | sort)
bad=0
for f in "${files[@]}"; do
	if ! out=$(clang-format --dry-run -Werror "$f" 2>&1); then
		echo "$out" | head -n 6
		bad=$((bad + 1))
	fi
done
echo "${#files[@]} files checked, $bad not formatted"
[ "$bad" -eq 0 ]
