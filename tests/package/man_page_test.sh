#!/usr/bin/env bash
# man_page_test.sh: the man page cannot go stale. Walks every subcommand the
# binary has (`inboxd --help`, then `inboxd CMD... --help` recursively) and
# fails when packaging/inboxd.8 has no section heading `.SS "inboxd CMD..."`
# for a command that runs (one without subcommands of its own), or when that
# section does not name one of the command's options (--config, --json...).
# A command with subcommands (absence, audit, config, export, report) needs a
# heading for each of them only; a heading for a command the binary does not
# have fails too. Also checks that the page names the global options and the
# version, and that `man` renders it without a warning (when man is present).
#
# Usage: man_page_test.sh INBOXD_BINARY MAN_PAGE
set -euo pipefail

bin=${1:?usage: man_page_test.sh INBOXD_BINARY MAN_PAGE}
page=${2:?usage: man_page_test.sh INBOXD_BINARY MAN_PAGE}
failures=0
commands=0
leaves="" # every command that runs, one a line ("absence set")

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The page as plain text, one source line per line: roff escapes for '-'
# and font changes removed, so `.SS "inboxd export audit \-\-config"` reads
# `.SS "inboxd export audit --config"`.
plain=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(dq/"/g' "$page")

# help_section TITLE ARGS...: the lines of `inboxd ARGS... --help` under the
# heading TITLE ("Subcommands:", "Options:") up to the next heading.
help_section() {
  local title=$1
  shift
  "$bin" "$@" --help | awk -v t="$title" '
    $0 == t { on = 1; next }
    /^[^ ]/ { on = 0 }
    on && NF { print }'
}

# subcommands ARGS...: the names of the subcommands of `inboxd ARGS...`.
subcommands() {
  help_section "Subcommands:" "$@" | awk '/^  [a-z]/ { print $1 }'
}

# options ARGS...: the long options of `inboxd ARGS...` (not --help).
options() {
  help_section "Options:" "$@" |
    grep -oE '^ +(-[A-Za-z],)?--[A-Za-z0-9][A-Za-z0-9-]*' |
    sed -E 's/^ +(-[A-Za-z],)?//' | grep -vx -- '--help' || true
}

# section CMD...: the page's text from `.SS "inboxd CMD..."` (followed by a
# space, a quote or the end of the line) to the next .SS or .SH.
section() {
  local heading="inboxd $*"
  awk -v h="$heading" '
    /^\.S[SH]/ {
      line = $0
      sub(/^\.SS "?/, "", line)
      on = (substr(line, 1, length(h)) == h &&
            (length(line) == length(h) ||
             substr(line, length(h) + 1, 1) ~ /[ "]/))
      if (on) { print; next }
    }
    on { print }' <<<"$plain"
}

# check CMD...: checks the command and, recursively, its subcommands.
check() {
  local subs s
  subs=$(subcommands "$@")
  if [[ -n "$subs" ]]; then
    for s in $subs; do
      check "$@" "$s"
    done
    return
  fi
  commands=$((commands + 1))
  leaves+="$*"$'\n'
  local text
  text=$(section "$@")
  if [[ -z "$text" ]]; then
    fail "inboxd $*: no section '.SS \"inboxd $*...\"' in $page"
    return
  fi
  local opt
  for opt in $(options "$@"); do
    if ! grep -qE -- "(^|[^A-Za-z0-9-])${opt}([^A-Za-z0-9-]|$)" <<<"$text"; then
      fail "inboxd $*: option $opt is not in its section of $page"
    fi
  done
}

version=$("$bin" --version) || {
  echo "FAIL: $bin --version failed" >&2
  exit 1
}
# The .TH line names the version the binary reports ("inboxd 0.1.0").
grep -q "^\.TH INBOXD 8 \"[^\"]*\" \"$version\" " "$page" ||
  fail "the .TH line of $page does not name \"$version\": $(grep '^\.TH' "$page")"
top=$(subcommands)
if [[ -z "$top" ]]; then
  echo "FAIL: found no subcommands in '$bin --help' (has its format changed?)" >&2
  exit 1
fi
for cmd in $top; do
  check "$cmd"
done

# The global options.
for opt in --help --version; do
  grep -q -- "$opt" <<<"$plain" || fail "global option $opt is not in $page"
done

# Every section names a command the binary has (no section for a command
# that is gone). A heading's command is its words up to the first one that
# starts with an upper-case letter, '[' or '-'.
while IFS= read -r heading; do
  words=()
  read -r -a all_words <<<"$heading"
  for w in "${all_words[@]}"; do
    [[ "$w" =~ ^[A-Z\[\-] || "$w" == "|" ]] && break
    words+=("$w")
  done
  if ! grep -qxF -- "${words[*]}" <<<"$leaves"; then
    fail "section '.SS \"inboxd $heading\"': inboxd has no command '${words[*]}'"
  fi
done < <(sed -n 's/^\.SS "inboxd \([^"]*\)".*/\1/p' <<<"$plain")

# man renders the page without warnings (groff's -ww: undefined macros,
# bad escapes...), except the layout notes that depend on the width.
if command -v man >/dev/null; then
  warnings=$(MANWIDTH=80 MAN_KEEP_STDERR=1 man --warnings -l "$page" 2>&1 >/dev/null |
    grep -v -e "cannot adjust line" -e "cannot break line" || true)
  if [[ -n "$warnings" ]]; then
    fail "man --warnings -l $page: $warnings"
  fi
fi

if ((commands < 10)); then
  fail "only $commands commands found in '$bin --help' (has its format changed?)"
fi
if ((failures > 0)); then
  echo "$failures problem(s) in $page; see above" >&2
  exit 1
fi
echo "ok: $commands commands and their options are documented in $page"
