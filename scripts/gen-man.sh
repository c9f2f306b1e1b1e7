#!/bin/bash
# gen-man.sh - the man pages, generated at build time from the one source each has, so that a
# program's --help, its man page and configs/README.md cannot disagree:
#
#   gen-man.sh help PROGRAM SECTION "SHORT DESCRIPTION" VERSION OUT
#       help2man on PROGRAM --help; its Example(s) blocks kept verbatim; for qvctl, every
#       command's help (qvctl help --all) as a COMMANDS section
#   gen-man.sh yaml README.md FILTER.lua VERSION OUT
#       qwikvirt.yaml(5) from configs/README.md through pandoc and the Lua filter FILTER.lua
#
# Called by contrib/meson.build; needs help2man and pandoc (Debian packages of those names).
set -euo pipefail

# roff-safe verbatim text: backslashes, and lines that roff would read as requests
verbatim() { sed -e 's/\\/\\e/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }

gen_help() {
	local prog=$1 section=$2 desc=$3 version=$4 out=$5 name tmp
	name=$(basename "$prog")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	# sanitizer builds: a leak report at exit is no reason to fail the man page
	ASAN_OPTIONS=detect_leaks=0 "$prog" --help >"$tmp/help.txt"
	[ -s "$tmp/help.txt" ] || { echo "gen-man.sh: $prog --help printed nothing" >&2; return 1; }
	# Example blocks go to an EXAMPLES section as they are (help2man would fill their lines
	# into paragraphs): from "Example(s)...:" to the first unindented line after a blank one.
	awk -v ex="$tmp/examples.txt" '
		/^Examples?( .*)?:$/ { inex = 1; blank = 0; print > ex; next }
		inex && /^$/ { blank = 1; print > ex; next }
		inex && blank && /^[^ ]/ { inex = 0 }
		inex { blank = 0; print > ex; next }
		{ sub(/^usage: /, "Usage: "); print }
	' "$tmp/help.txt" >"$tmp/body.txt"
	{
		if [ -s "$tmp/examples.txt" ]; then
			echo "[EXAMPLES]"
			sed -e '/^Examples\{0,1\}:$/d' "$tmp/examples.txt" |
				sed -e 's/^Examples\{0,1\} \(.*\):$/\1:/' | {
				echo ".nf"
				verbatim
				echo ".fi"
			}
		fi
		if [ "$name" = qvctl ]; then
			echo "[COMMANDS]"
			echo "Each command's help, as \\fBqvctl COMMAND --help\\fR prints it."
			# each entry starts with an unindented "qvctl KEY" line after a blank one
			ASAN_OPTIONS=detect_leaks=0 "$prog" help --all | awk '
				/^qvctl( .*)?$/ && (NR == 1 || prev == "") {
					if (open) print ".fi"
					open = 0; entry++; skip = entry == 1
					if (skip) next # qvctl itself: the DESCRIPTION and OPTIONS above
					print ".SS \"" $0 "\""; print ".nf"; open = 1; prev = $0; next
				}
				skip { prev = $0; next }
				{
					prev = $0; line = $0; gsub(/\\/, "\\e", line)
					if (line ~ /^[.\047]/) line = "\\&" line
					print line
				}
				END { if (open) print ".fi" }'
		fi
		case $name in
		qv-exporter)
			echo "[FILES]"
			printf '.TP\n.I %s\n%s\n' \
				/lib/systemd/system/qv-exporter.service \
				"the systemd unit (systemctl enable --now qv-exporter)" \
				/etc/default/qwikvirt "the service's options: QV_EXPORTER_OPTS" \
				/run/qwikvirt/switchd.sock "qv-switchd's control socket, read on every scrape" \
				/run/qwikvirt/controld.sock "qv-controld's control socket, read on every scrape"
			;;
		qv-switchd | qv-controld)
			echo "[FILES]"
			printf '.TP\n.I %s\n%s\n' \
				"/lib/systemd/system/$name.service" \
				"the systemd unit (systemctl enable --now $name)" \
				/etc/default/qwikvirt \
				"the services' options: QV_SWITCHD_OPTS, QV_CONTROLD_OPTS" \
				"/run/qwikvirt/${name#qv-}.sock" \
				"the control socket, root:qwikvirt 0660 under the service"
			if [ "$name" = qv-switchd ]; then
				printf '.TP\n.I %s\n%s\n' /usr/lib/sysctl.d/60-qwikvirt-hugepages.conf \
					"the hugepages reserved at boot"
			else
				printf '.TP\n.I %s\n%s\n' \
					/var/lib/qwikvirt "the desired state, VM overlays and serial logs" \
					/usr/share/doc/qwikvirt/examples "example service definitions"
			fi
			;;
		esac
		echo "[SEE ALSO]"
		case $name in
		qv-switchd) see="qvctl 8 qv-controld 8 qv-exporter 8 qv-bench 1" ;;
		qv-controld) see="qvctl 8 qv-switchd 8 qv-exporter 8 qwikvirt.yaml 5" ;;
		qv-exporter) see="qv-switchd 8 qv-controld 8 qvctl 8 promtool 1" ;;
		qvctl) see="qv-switchd 8 qv-controld 8 qwikvirt.yaml 5" ;;
		*) see="qv-switchd 8 qvctl 8" ;;
		esac
		# shellcheck disable=SC2086
		printf '.BR %s (%s),\n' $see | sed '$ s/,$//'
	} >"$tmp/include.h2m"
	# help2man runs the program by the name it shows: a stand-in that prints the body
	cat >"$tmp/$name" <<-EOF
		#!/bin/sh
		case \$1 in
		--version) echo "$name $version" ;;
		*) cat "$tmp/body.txt" ;;
		esac
	EOF
	chmod +x "$tmp/$name"
	help2man --no-info --section="$section" --name="$desc" --version-string="$version" \
		--include="$tmp/include.h2m" --output="$out.tmp" "$tmp/$name"
	mv -f "$out.tmp" "$out"
}

gen_yaml() {
	local readme=$1 filter=$2 version=$3 out=$4
	pandoc --from=gfm --to=man --standalone --lua-filter="$filter" \
		--metadata=title:QWIKVIRT.YAML --metadata=section:5 \
		--metadata=header:"File Formats" --metadata=footer:"qwikvirt $version" \
		--metadata=date:"" "$readme" --output="$out.tmp"
	mv -f "$out.tmp" "$out"
}

case ${1:-} in
help) shift; [ $# -eq 5 ] || { sed -n '2,12p' "$0" >&2; exit 2; }; gen_help "$@" ;;
yaml) shift; [ $# -eq 4 ] || { sed -n '2,12p' "$0" >&2; exit 2; }; gen_yaml "$@" ;;
-h | --help) sed -n '2,12p' "$0" ;;
*) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
