# shellcheck shell=bash
# build_progress LOG — sourced by scripts/guest-audit and scripts/package.
#
# Reads a build's output (CMake/make, optionally under dpkg-buildpackage) on
# stdin, keeps all of it in LOG and prints a condensed view on stderr: each
# debhelper step, one line per CMake target that had work to do (with
# make's percentage), compiler warnings and errors, and dpkg-deb's result.
# A no-op build prints nothing but its summary line.
build_progress() {
	local log=$1 awk=(awk)
	# mawk (Debian's awk) reads a pipe in blocks unless told otherwise.
	if awk -W version 2>&1 | grep -q mawk; then awk=(awk -W interactive); fi
	: >"$log"
	tee -a "$log" | "${awk[@]}" -v start="$(date +%s)" '
		function elapsed() { return systime() - start }
		function clock(s) { return sprintf("%d:%02d", s / 60, s % 60) }
		# make/CMake: "[ 42%] Building CXX object ...", "[ 45%] Built target x"
		/^\[ *[0-9]+%\] Built target / {
			match($0, /^\[ *[0-9]+%\]/)
			if (work > 0)
				printf "    %s %s: %d step%s (%s elapsed)\n", substr($0, 1, RLENGTH), $NF,
					work, work == 1 ? "" : "s", clock(elapsed()) > "/dev/stderr"
			targets += work > 0; work = 0; fflush("/dev/stderr"); next
		}
		/^\[ *[0-9]+%\] / { work++; steps++; next }
		/(^|[^a-z])(error|warning):|^make(\[[0-9]+\])?: \*\*\*|^CMake (Error|Warning)/ {
			print "    " $0 > "/dev/stderr"; fflush("/dev/stderr"); next
		}
		# dh sequence: "   dh_auto_build -O--buildsystem=cmake"
		/^   (dh_[a-z_]+|debian\/rules [a-z_]+)/ {
			sub(/^ +/, ""); printf "  %s\n", $1 ($1 == "debian/rules" ? " " $2 : "") > "/dev/stderr"
			fflush("/dev/stderr"); next
		}
		/^dpkg-deb: building package/ { print "  " $0 > "/dev/stderr"; next }
		END {
			if (steps == 0)
				printf "    build: nothing to do\n" > "/dev/stderr"
			else
				printf "    build: %d steps in %d targets, %s\n", steps, targets, clock(elapsed()) > "/dev/stderr"
		}'
}

# build_failed LOG WHAT — the end of a failed build's log, and where the rest is.
build_failed() {
	local log=$1 what=$2
	{
		printf '%s failed; the last lines of its output:\n' "$what"
		tail -n 40 "$log" | sed 's/^/  | /'
		printf 'full output: %s\n' "$log"
	} >&2
}
