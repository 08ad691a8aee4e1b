#!/usr/bin/env bash
# deb_test.sh: the Debian package end to end. Builds inboxd_<version>_<arch>.deb
# from this build tree with cpack, checks its control data and contents,
# then installs it:
#   - for real (apt-get install ./inboxd_*.deb) when run as root and no
#     inboxd package, user state or /var/lib/inboxd is there already (CI's
#     fresh Debian 12 container; scripts/test as root);
#   - else into a scratch root (dpkg-deb -x), with fewer checks, and the
#     test ends as skipped (a failure when CI is set).
# On the installed package: inboxd --version from /usr/bin, the man page,
# systemd-analyze verify and security of the unit, the conffile and the
# permissions the postinst sets, check-config on the shipped config, then
# the unit's ExecStart run as systemd would (user inboxd, UMask=0077, state
# directory 0700) against the mail rig (scripts/rig): it must find the
# installed templates, answer `inboxd status`, acknowledge a mail, survive
# SIGHUP (ExecReload) and exit 0 within 5 s of SIGTERM; the README's backup
# (sqlite3 .backup while it runs) and restore pass `audit verify`. Then the
# unit under systemd itself (the host's, or a private one booted in its own
# PID and mount namespaces when PID 1 is not systemd, as in CI's container):
# `systemctl enable --now`, a password handed over by LoadCredential=, an
# acknowledgement, journal priorities, reload of a good and of a bad config,
# Restart=on-failure after SIGKILL, stop within 5 s, and a bad config's exit
# 2 that is not restarted. Then an
# upgrade (a repacked newer version) keeps the edited config and the state,
# remove deletes the program and keeps config and state, purge deletes the
# config and keeps the state (packaging/README.md says why). Whatever
# happens, the package, the rig, the daemon and what the test created are
# cleaned up.
#
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR VERSION CMAKE CPACK
# Exit status: 0 passed, 1 failed, 77 skipped (ctest SKIP_RETURN_CODE).
set -Eeuo pipefail
# The last command that failed: when set -e ends the test outside a check,
# cleanup names it.
err_at=""
trap 'err_at="line $LINENO: $BASH_COMMAND (exit $?)"' ERR

build=${1:?usage: deb_test.sh BUILD_DIR SOURCE_DIR VERSION CMAKE CPACK}
src=${2:?source dir}
version=${3:?version}
cmake=${4:?cmake}
cpack=${5:?cpack}
start=$(date +%s)

in_ci() {
  case "${CI:-}" in
    "" | 0 | false) return 1 ;;
    *) return 0 ;;
  esac
}

died=0
die() {
  echo "FAIL: $*" >&2
  died=1
  exit 1
}

skipped=""
# skip_or_fail MSG: outside CI the rest of the checks run and the test ends
# as skipped; with CI set (root, the servers, a fresh container) a failure.
skip_or_fail() {
  if in_ci; then
    die "cannot run here, and CI is set: $*"
  fi
  echo "SKIP (a failure when CI is set): $*" >&2
  skipped+="$*; "
}

step() { echo "== $(($(date +%s) - start))s: $*"; }

work=$(mktemp -d /tmp/inboxd-deb-test-XXXXXX)
chmod 755 "$work"
installed_by_us=0
created_user=0
created_state=0
daemon_pid=""
rig=""
ns_init=""    # the private systemd's PID 1 (systemd_section)
ns_unshare=""
dropin=""     # a runtime drop-in of the unit under test

cleanup() {
  local status=$?
  set +e
  trap - ERR
  if ((status != 0 && !died)) && [[ -n "$err_at" ]]; then
    echo "FAIL: set -e stopped the test at $err_at" >&2
  fi
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -KILL "$daemon_pid"
    wait "$daemon_pid" 2>/dev/null
  fi
  if [[ -n "$ns_init" ]]; then
    # SIGKILL to a PID namespace's init ends every process in it.
    kill -KILL "$ns_init"
    wait "$ns_unshare" 2>/dev/null
    remove_private_tmp
  elif [[ -n "$dropin" ]]; then
    systemctl stop inboxd.service
    rm -rf "$dropin"
    systemctl daemon-reload
  fi
  if [[ -n "$rig" ]]; then
    "$src/scripts/rig" stop "$rig" >/dev/null 2>&1
  fi
  if ((installed_by_us)); then
    if dpkg-query -W -f='${Status}' inboxd 2>/dev/null | grep -q "installed\|config-files"; then
      echo "cleanup: dpkg --purge inboxd" >&2
      DEBIAN_FRONTEND=noninteractive dpkg --purge inboxd >/dev/null 2>&1
    fi
    rm -f /etc/inboxd/test-sales.pass /etc/inboxd/test-support.pass
    rmdir /etc/inboxd 2>/dev/null
  fi
  if ((created_state)); then
    rm -rf /var/lib/inboxd
  fi
  if ((created_user)); then
    # Anything still running as the user this test created (a daemon that
    # escaped), by pid.
    for pid in $(pgrep -u inboxd 2>/dev/null); do
      echo "cleanup: killing pid $pid of user inboxd" >&2
      kill -KILL "$pid"
    done
    userdel inboxd 2>/dev/null
    groupdel inboxd 2>/dev/null
  fi
  rm -rf "$work"
  if ((status == 0)) && [[ -n "$skipped" ]]; then
    echo "skipped: $skipped" >&2
    exit 77
  fi
  exit "$status"
}
trap cleanup EXIT
# ctest's timeout and ^C: run the cleanup too.
trap 'exit 143' TERM INT HUP

# --- tools ------------------------------------------------------------------
for tool in dpkg-deb dpkg-shlibdeps python3 readelf file; do
  command -v "$tool" >/dev/null ||
    { skip_or_fail "$tool missing (scripts/install-deps installs it)"; exit 0; }
done

# --- build the .deb -----------------------------------------------------------
# cpack's install step first builds the `preinstall` target (everything) with
# a serial make; bring the tree up to date in parallel first, so that it is
# a quick check (after scripts/build, nothing is left to do).
step "cmake --build $build -j2"
if ! nice "$cmake" --build "$build" -j2 >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log" >&2
  die "the build tree does not build"
fi
step "cpack -G DEB in $build"
arch=$(dpkg --print-architecture)
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$work/pkg" \
  >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  die "cpack failed"
fi
deb="$work/pkg/inboxd_${version}_${arch}.deb"
[[ -f "$deb" ]] || die "cpack made $(ls "$work/pkg"/*.deb 2>/dev/null), not $deb"
echo "   $(basename "$deb"): $(stat -c %s "$deb") bytes"

# --- control data -----------------------------------------------------------------
step "dpkg-deb -I"
field() { dpkg-deb -f "$deb" "$1"; }
[[ "$(field Package)" == inboxd ]] || die "Package: $(field Package)"
[[ "$(field Version)" == "$version" ]] || die "Version: $(field Version)"
[[ "$(field Architecture)" == "$arch" ]] || die "Architecture: $(field Architecture)"
[[ "$(field Section)" == mail ]] || die "Section: $(field Section)"
[[ "$(field Priority)" == optional ]] || die "Priority: $(field Priority)"
[[ "$(field Maintainer)" =~ ^[^\<]+\ \<[^\>]+@[^\>]+\>$ ]] ||
  die "Maintainer is not 'Name <address>': $(field Maintainer)"
description=$(field Description)
[[ "$(head -n1 <<<"$description")" == "shared support mailboxes on autopilot over IMAP and SMTP" ]] ||
  die "Description synopsis: $(head -n1 <<<"$description")"
(($(wc -l <<<"$description") >= 3)) || die "Description has no extended text"
[[ "$(sed -n '2s/^ *//p' <<<"$description")" == inboxd\ watches* ]] ||
  die "the extended Description does not start with 'inboxd watches': $description"
depends=$(field Depends)
echo "   Depends: $depends"
# Every shared library the binary needs comes from a package in Depends
# (the check dpkg-shlibdeps automates), and adduser for the postinst.
dep_names=$(tr ',' '\n' <<<"$depends" | sed -E 's/^ *([^ (|]+).*/\1/')
grep -qx adduser <<<"$dep_names" || die "Depends lacks adduser: $depends"
dpkg-deb -x "$deb" "$work/unpacked"
for soname in $(readelf -d "$work/unpacked/usr/bin/inboxd" |
  sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
  # awk reads to the end (no `exit`): an early exit would SIGPIPE ldconfig,
  # which pipefail turns into a failure.
  path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64|'"$arch"'/ && !done { print $NF; done = 1 }')
  [[ -n "$path" ]] || path=$(ldconfig -p | awk -v s="$soname" '$1 == s && !done { print $NF; done = 1 }')
  [[ -n "$path" ]] || die "cannot find $soname on this system"
  owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
    dpkg -S "/usr$path" 2>/dev/null || true)
  owner=${owner%%:*}
  [[ -n "$owner" ]] || die "no package owns $path ($soname)"
  # The package, or a virtual package it provides (libspdlog1.10-fmt9).
  found=0
  while read -r name; do
    [[ -n "$name" ]] && grep -qxF -- "$name" <<<"$dep_names" && found=1
  done < <({ echo "$owner"; dpkg-query -W -f='${Provides}\n' "$owner" | tr ',' '\n'; } |
    sed -E 's/^ *([^ (]+).*/\1/')
  ((found)) || die "$soname is in $owner, which Depends lacks: $depends"
done
file "$work/unpacked/usr/bin/inboxd" | grep -q ", stripped" ||
  die "the packaged binary is not stripped: $(file "$work/unpacked/usr/bin/inboxd")"

dpkg-deb -e "$deb" "$work/control"
[[ "$(cat "$work/control/conffiles")" == "/etc/inboxd/inboxd.toml" ]] ||
  die "conffiles: $(cat "$work/control/conffiles")"
for script in postinst prerm postrm; do
  [[ "$(stat -c %a "$work/control/$script")" == 755 ]] || die "$script is not 0755"
  sh -n "$work/control/$script" || die "$script: sh -n failed"
  cmp -s "$work/control/$script" "$src/packaging/$script" || die "$script differs from packaging/$script"
done

# --- contents -------------------------------------------------------------
step "dpkg-deb -c"
dpkg-deb -c "$deb" >"$work/contents"
# entry MODE PATH: PATH is in the package with MODE (ls -l style), root/root.
entry() {
  grep -qE "^$1 root/root +[0-9]+ [0-9-]+ [0-9:]+ \./${2#/}( |$)" "$work/contents" ||
    die "not in the package as $1 root/root: $2 ($(grep -F "./${2#/}" "$work/contents" | head -n1))"
}
entry -rwxr-xr-x /usr/bin/inboxd
entry -rw-r----- /etc/inboxd/inboxd.toml
entry -rw-r--r-- /lib/systemd/system/inboxd.service
entry -rw-r--r-- /usr/share/man/man8/inboxd.8.gz
entry -rw-r--r-- /usr/share/doc/inboxd/README.md
entry -rw-r--r-- /usr/share/doc/inboxd/inboxd.example.toml
ntemplates=0
while IFS= read -r t; do
  entry -rw-r--r-- "/usr/share/inboxd/templates/${t#"$src/templates/"}"
  ntemplates=$((ntemplates + 1))
done < <(find "$src/templates" -type f | sort)
((ntemplates >= 40)) || die "only $ntemplates files in $src/templates"
if grep -E '\./usr/local/|\./usr/etc/|\./usr/lib/systemd/' "$work/contents"; then
  die "files outside the Debian layout (above)"
fi
cmp -s "$work/unpacked/etc/inboxd/inboxd.toml" "$src/config/inboxd.example.toml" ||
  die "/etc/inboxd/inboxd.toml is not config/inboxd.example.toml"
cmp -s "$work/unpacked/lib/systemd/system/inboxd.service" "$src/packaging/inboxd.service" ||
  die "the packaged unit is not packaging/inboxd.service"
gzip -dc "$work/unpacked/usr/share/man/man8/inboxd.8.gz" | cmp -s - "$src/packaging/inboxd.8" ||
  die "the packaged man page is not packaging/inboxd.8"
echo "   $(wc -l <"$work/contents") entries, $ntemplates templates"

# --- install ----------------------------------------------------------------
mode=real
if [[ $(id -u) -ne 0 ]]; then
  skip_or_fail "a real install needs root; checking an unpacked scratch root"
  mode=scratch
elif dpkg-query -W -f='${Status}' inboxd 2>/dev/null | grep -q "installed\|config-files"; then
  skip_or_fail "an inboxd package is installed here already; the test leaves it alone"
  mode=scratch
elif [[ -e /var/lib/inboxd || -e /etc/inboxd ]] || getent passwd inboxd >/dev/null; then
  skip_or_fail "/var/lib/inboxd, /etc/inboxd or the user inboxd exist already (a real installation?); the test leaves them alone"
  mode=scratch
fi

if [[ $mode == real ]]; then
  step "apt-get install $deb"
  installed_by_us=1
  created_user=1
  created_state=1
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$deb" </dev/null >"$work/apt.log" 2>&1; then
    cat "$work/apt.log" >&2
    die "apt-get install failed"
  fi
  grep -q "systemctl enable --now inboxd" "$work/apt.log" ||
    die "postinst did not say how to enable the service: $(cat "$work/apt.log")"
  root=""
  [[ "$(dpkg-query -W -f='${Status} ${Version}' inboxd)" == "install ok installed $version" ]] ||
    die "dpkg-query: $(dpkg-query -W -f='${Status} ${Version}' inboxd)"
  [[ "$(command -v inboxd)" == /usr/bin/inboxd ]] || die "inboxd on PATH is $(command -v inboxd)"
else
  step "dpkg-deb -x $deb (scratch root)"
  root="$work/root"
  dpkg-deb -x "$deb" "$root"
fi
[[ "$("$root/usr/bin/inboxd" --version)" == "inboxd $version" ]] ||
  die "inboxd --version: $("$root/usr/bin/inboxd" --version)"

# --- the man page -------------------------------------------------------------
step "man page"
man_excluded=0
if grep -qsE '^path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; then
  man_excluded=1 # e.g. a -slim image: dpkg drops man pages; checked in the .deb above
fi
if [[ $mode == real ]] && ((!man_excluded)); then
  [[ -f /usr/share/man/man8/inboxd.8.gz ]] || die "/usr/share/man/man8/inboxd.8.gz missing"
  if command -v man >/dev/null; then
    [[ "$(man -w inboxd)" == /usr/share/man/man8/inboxd.8.gz ]] || die "man -w inboxd: $(man -w inboxd)"
    # Captured first: grep -q stopping early would SIGPIPE man (pipefail).
    page=$(MANWIDTH=80 man 8 inboxd 2>/dev/null || true)
    grep -q "inboxd check-config \[--connect\] FILE" <<<"$page" ||
      die "man 8 inboxd does not render the commands"
  fi
elif command -v man >/dev/null; then
  page=$(MANWIDTH=80 man -l "$work/unpacked/usr/share/man/man8/inboxd.8.gz" 2>/dev/null || true)
  grep -q "inboxd check-config FILE" <<<"$page" || die "man -l does not render the packaged page"
fi

# --- the unit -----------------------------------------------------------------
step "systemd unit"
unit="$root/lib/systemd/system/inboxd.service"
[[ -f "$unit" ]] || die "$unit missing"
unit_value() { sed -n "s/^$1=//p" "$unit"; }
execstart=$(unit_value ExecStart)
[[ "$execstart" == "/usr/bin/inboxd run --config /etc/inboxd/inboxd.toml" ]] ||
  die "ExecStart=$execstart"
[[ "$(unit_value StateDirectory)" == inboxd && "$(unit_value StateDirectoryMode)" == 0700 ]] ||
  die "StateDirectory=$(unit_value StateDirectory) mode $(unit_value StateDirectoryMode)"
grep -qx 'dir = "/var/lib/inboxd" .*' "$src/config/inboxd.example.toml" ||
  die "config/inboxd.example.toml's [state] dir is not /var/lib/inboxd (StateDirectory=inboxd)"
user=$(unit_value User)
if ! command -v systemd-analyze >/dev/null; then
  skip_or_fail "systemd-analyze missing (package systemd; scripts/install-deps)"
elif [[ $mode == real ]]; then
  # Offline: loads the unit and what it names (binary, user, man page,
  # targets); needs no running systemd. Unknown keys are only warnings, so
  # any output fails too. Without man (or with man pages dropped by dpkg)
  # it cannot look up Documentation=man:inboxd(8): verify a copy without it.
  verify_unit=$unit
  if ! command -v man >/dev/null || ((man_excluded)); then
    mkdir -p "$work/unit"
    sed '/^Documentation=/d' "$unit" >"$work/unit/inboxd.service"
    verify_unit="$work/unit/inboxd.service"
    echo "   (man page not available here: verifying the unit without Documentation=)"
  fi
  if ! out=$(systemd-analyze verify "$verify_unit" 2>&1) || [[ -n "$out" ]]; then
    die "systemd-analyze verify $verify_unit: $out"
  fi
  exposure=$(systemd-analyze security --offline=true "$verify_unit" 2>&1 |
    sed -n 's/.*Overall exposure level for inboxd.service: \([0-9.]*\).*/\1/p')
  echo "   systemd-analyze security: exposure $exposure"
  if [[ -z "$exposure" ]] || ! awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
    die "systemd-analyze security: exposure '$exposure' (was 1.2; the sandbox lost a setting)"
  fi
else
  # Scratch root: verify a copy whose ExecStart and user exist here.
  sed -e "s|^ExecStart=/usr/bin/inboxd|ExecStart=$root/usr/bin/inboxd|" \
    -e '/^Documentation=/d' -e 's/^User=.*/User=daemon/' -e 's/^Group=.*/Group=daemon/' \
    "$unit" >"$work/inboxd.service"
  if ! out=$(systemd-analyze verify "$work/inboxd.service" 2>&1) || [[ -n "$out" ]]; then
    die "systemd-analyze verify (scratch copy): $out"
  fi
fi

# --- what the postinst set up ------------------------------------------------------
if [[ $mode == real ]]; then
  step "postinst: user, directories, conffile"
  getent passwd inboxd >/dev/null || die "postinst made no user inboxd"
  [[ "$user" == inboxd ]] || die "the unit runs as $user"
  uid=$(id -u inboxd)
  ((uid < 1000)) || die "inboxd has uid $uid (not a system user)"
  [[ "$(getent passwd inboxd | cut -d: -f7)" == /usr/sbin/nologin ]] ||
    die "inboxd's shell: $(getent passwd inboxd | cut -d: -f7)"
  [[ "$(stat -c '%U:%G %a' /var/lib/inboxd)" == "inboxd:inboxd 700" ]] ||
    die "/var/lib/inboxd: $(stat -c '%U:%G %a' /var/lib/inboxd)"
  [[ "$(stat -c '%U:%G %a' /etc/inboxd)" == "root:inboxd 750" ]] ||
    die "/etc/inboxd: $(stat -c '%U:%G %a' /etc/inboxd)"
  [[ "$(stat -c '%U:%G %a' /etc/inboxd/inboxd.toml)" == "root:inboxd 640" ]] ||
    die "/etc/inboxd/inboxd.toml: $(stat -c '%U:%G %a' /etc/inboxd/inboxd.toml)"
  dpkg-query -W -f='${Conffiles}\n' inboxd | grep -q '^ /etc/inboxd/inboxd.toml [0-9a-f]\{32\}$' ||
    die "dpkg does not list /etc/inboxd/inboxd.toml as a conffile"
  [[ ! -e /etc/systemd/system/multi-user.target.wants/inboxd.service ]] ||
    die "a first install enabled the service (the shipped config is an example)"
fi

# as_service_exec CMD...: replaces the current (sub)shell with CMD run as the
# service user (root: inboxd, or nobody for the scratch root; not root: this
# user), from /, with systemd's UMask, no capabilities and a clean
# environment. `as_service_exec ... &` makes $! the command's own pid.
as_service_exec() {
  cd / && umask 0077 || return 1
  if [[ $(id -u) -ne 0 ]]; then
    exec "$@"
  fi
  local u=inboxd g=inboxd
  [[ $mode == real ]] || { u=nobody && g=nogroup; }
  exec setpriv --reuid="$u" --regid="$g" --init-groups \
    --no-new-privs --inh-caps=-all --bounding-set=-all \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 "$@"
}
# as_service CMD...: the same in a subshell, for a command that returns.
as_service() { (as_service_exec "$@"); }

# --- check-config on the shipped config -----------------------------------------
step "check-config"
config="$root/etc/inboxd/inboxd.toml"
if [[ $mode == real ]]; then
  # As the service user: the group read bit the postinst set is enough.
  out=$(as_service /usr/bin/inboxd check-config "$config" 2>&1) ||
    die "check-config $config (as the service user) exited $?: $out"
else
  out=$("$root/usr/bin/inboxd" check-config "$config" 2>&1) ||
    die "check-config $config exited $?: $out"
fi
[[ "$out" == "$config: ok (2 mailboxes)" ]] || die "check-config $config printed: $out"
# And a broken copy: exit 2, every error as FILE:LINE:COL: KEY: message.
sed 's/^max_message_bytes = .*/max_message_bytes = "lots"/' "$config" >"$work/bad.toml"
set +e
out=$("$root/usr/bin/inboxd" check-config "$work/bad.toml" 2>&1)
rc=$?
set -e
((rc == 2)) || die "check-config of a bad file exited $rc: $out"
grep -qE "^$work/bad.toml:[0-9]+:[0-9]+: limits\.max_message_bytes: " <<<"$out" ||
  die "check-config of a bad file printed: $out"

# --- the daemon, started as systemd would ----------------------------------------
step "mail rig"
state=/var/lib/inboxd
secrets=/etc/inboxd
if [[ $mode == scratch ]]; then
  state="$work/state"
  secrets="$work/secrets"
  mkdir -p "$secrets"
  if [[ $(id -u) -eq 0 ]]; then
    install -d -o nobody -g nogroup -m 0700 "$state"
  else
    install -d -m 0700 "$state"
  fi
fi
daemon_config="$work/daemon.toml"
[[ $mode == real ]] && daemon_config=/etc/inboxd/inboxd.toml
if [[ $(id -u) -eq 0 ]] && "$src/scripts/rig" start "$work/rig" >"$work/rig.log" 2>&1; then
  rig="$work/rig"
  for box in sales support; do
    install -m 0640 "$rig/secrets/$box" "$secrets/test-$box.pass"
  done
  sed -e "s|^dir = .*|dir = \"$state\"|" \
    -e "s#$rig/secrets/\(sales\|support\)#$secrets/test-\1.pass#" \
    "$rig/inboxd.toml" >"$work/daemon.toml.new"
else
  skip_or_fail "the mail rig did not start (root and scripts/install-deps --with-servers): $(tail -n 5 "$work/rig.log" 2>/dev/null)"
  # A mailbox on a closed port: the daemon starts, retries, answers status.
  printf 'unused' >"$secrets/test-support.pass"
  chmod 0640 "$secrets/test-support.pass"
  cat >"$work/daemon.toml.new" <<EOF
[state]
dir = "$state"

[[mailbox]]
name = "support"
address = "support@shop.example"
imap_url = "imap://127.0.0.1:9"
smtp_url = "smtp://127.0.0.1:9"
tls = "none"
username = "support"
password_file = "$secrets/test-support.pass"
EOF
fi
if [[ $mode == real ]]; then
  chgrp inboxd "$secrets"/test-*.pass
  # The operator edits the conffile in place; dpkg keeps the edit.
  cat "$work/daemon.toml.new" >/etc/inboxd/inboxd.toml
elif [[ $(id -u) -eq 0 ]]; then
  chgrp nogroup "$secrets"/test-*.pass
  chmod 0755 "$secrets"
  cp "$work/daemon.toml.new" "$daemon_config"
  chmod 0644 "$daemon_config"
else
  cp "$work/daemon.toml.new" "$daemon_config"
fi
out=$(as_service "$root/usr/bin/inboxd" check-config "$daemon_config" 2>&1) ||
  die "check-config of the daemon's config: $out"

step "ExecStart as the service user"
read -r -a exec_argv <<<"$execstart"
exec_argv[0]="$root${exec_argv[0]}"
[[ $mode == real ]] || exec_argv[${#exec_argv[@]} - 1]="$daemon_config"
as_service_exec "${exec_argv[@]}" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
# $! is the daemon itself once setpriv and env have exec'd.
for _ in $(seq 50); do
  [[ "$(readlink "/proc/$daemon_pid/exe" 2>/dev/null)" == "$root/usr/bin/inboxd" ]] && break
  sleep 0.1
done
[[ "$(readlink "/proc/$daemon_pid/exe" 2>/dev/null)" == "$root/usr/bin/inboxd" ]] ||
  die "pid $daemon_pid is not the daemon: $(readlink "/proc/$daemon_pid/exe") $(cat "$work/daemon.log")"

# status_json: `inboxd status --json` as the service user ("" on failure).
status_json() {
  as_service "$root/usr/bin/inboxd" status --config "$daemon_config" --json 2>/dev/null || true
}
# json_true EXPR: the status JSON on stdin satisfies the Python expression
# EXPR over `s`.
json_true() {
  python3 -c "import json,sys
try: s = json.load(sys.stdin)
except Exception: sys.exit(1)
sys.exit(0 if ($1) else 1)"
}
want='s["daemon_running"]'
if [[ -n "$rig" ]]; then
  want+=' and all(m["folders"] and all(f["connected"] for f in m["folders"]) for m in s["mailboxes"])'
fi
deadline=$(($(date +%s) + 60))
until status_json | json_true "$want"; do
  kill -0 "$daemon_pid" 2>/dev/null || die "the daemon exited: $(cat "$work/daemon.log")"
  (($(date +%s) < deadline)) || die "status never showed the daemon running$([[ -n $rig ]] && echo ' and connected'): $(status_json) $(tail -n 20 "$work/daemon.log")"
  sleep 0.5
done
grep -q "templates: $root/usr/share/inboxd/templates\$" "$work/daemon.log" ||
  die "the installed daemon did not use $root/usr/share/inboxd/templates: $(grep templates "$work/daemon.log")"
for f in inboxd.db hmac.key; do
  [[ "$(stat -c '%a' "$state/$f")" == 600 ]] || die "$state/$f has mode $(stat -c %a "$state/$f")"
done
[[ "$(stat -c '%a' "$state")" == 700 ]] || die "$state has mode $(stat -c %a "$state")"

if [[ -n "$rig" ]]; then
  step "a customer mail gets an acknowledgement"
  "$src/scripts/rig" deliver "$rig" support "$src/examples/mail/02-support-en.eml" >/dev/null
  deadline=$(($(date +%s) + 60))
  until grep -lqs '^Auto-Submitted: auto-replied' "$rig"/mail/customer/new/* "$rig"/mail/customer/cur/*; do
    kill -0 "$daemon_pid" 2>/dev/null || die "the daemon exited: $(cat "$work/daemon.log")"
    (($(date +%s) < deadline)) || die "no acknowledgement reached the customer: $(tail -n 30 "$work/daemon.log")"
    sleep 0.5
  done
fi

step "SIGHUP (ExecReload)"
kill -HUP "$daemon_pid"
sleep 2
kill -0 "$daemon_pid" 2>/dev/null || die "SIGHUP (systemctl reload) ended the daemon: $(tail -n 20 "$work/daemon.log")"
status_json | json_true 's["daemon_running"]' || die "no status after SIGHUP: $(status_json)"

# README "Backup and restore": the online backup while the daemon runs.
have_sqlite=0
if command -v sqlite3 >/dev/null; then
  have_sqlite=1
  step "sqlite3 .backup of the running daemon's store"
  sqlite3 "$state/inboxd.db" ".backup '$work/backup.db'" || die "sqlite3 .backup failed"
  [[ "$(sqlite3 "$work/backup.db" 'PRAGMA integrity_check')" == ok ]] || die "the backup is corrupt"
  if [[ -n "$rig" ]] && (($(sqlite3 "$work/backup.db" 'SELECT count(*) FROM tickets') < 1)); then
    die "the backup has no ticket"
  fi
  cp "$state/hmac.key" "$work/backup-hmac.key"
else
  skip_or_fail "sqlite3 missing (scripts/install-deps --with-servers): backup and restore not checked"
fi

step "SIGTERM"
t0=$(date +%s%N)
kill -TERM "$daemon_pid"
for _ in $(seq 100); do
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.1
done
set +e
wait "$daemon_pid"
rc=$?
set -e
ms=$((($(date +%s%N) - t0) / 1000000))
daemon_pid=""
echo "   exited $rc after SIGTERM in ${ms} ms"
((rc == 0)) || die "the daemon exited $rc on SIGTERM: $(tail -n 20 "$work/daemon.log")"
((ms < 5000)) || die "the daemon took ${ms} ms to stop (TimeoutStopSec is 10s; documented: 5 s)"
status_json | json_true 'not s["daemon_running"]' || die "status after SIGTERM: $(status_json)"

if ((have_sqlite)); then
  # README "Backup and restore": the restore, as documented.
  step "restore the backup"
  owner=$(stat -c %U:%G "$state")
  rm -f "$state/inboxd.db-wal" "$state/inboxd.db-shm"
  install -o "${owner%:*}" -g "${owner#*:}" -m 0600 "$work/backup.db" "$state/inboxd.db"
  install -o "${owner%:*}" -g "${owner#*:}" -m 0600 "$work/backup-hmac.key" "$state/hmac.key"
  out=$(as_service "$root/usr/bin/inboxd" audit verify --config "$daemon_config" 2>&1) ||
    die "audit verify after the restore: $out"
fi

# --- the unit under systemd ---------------------------------------------------------
# systemctl enable --now, reload, a refused reload, Restart=on-failure, stop,
# RestartPreventExitStatus=2 and LoadCredential= (README "Install"), with
# systemd itself. A host booted with systemd is used as it is. In a container
# without it (CI), a private systemd boots as PID 1 of its own PID and mount
# namespaces (unshare), with its own /run and only journald: every unit that
# sysinit.target, local-fs.target, sockets.target, basic.target and
# network-online.target would start is masked (udev, tmpfiles, which would
# empty the host's /tmp, remounts, fstab mounts). The network namespace is the
# host's: the daemon reaches the rig on loopback.
in_ns=()
# sd CMD...: CMD where the systemd under test runs.
sd() { "${in_ns[@]}" "$@"; }

# The PrivateTmp= directories the private systemd made in the host's /tmp
# (systemd-private-*-inboxd.service-*): removed when it is killed with the
# unit still running (a failed check); those that were there before stay.
private_tmp_before=""
remove_private_tmp() {
  local d
  for d in /tmp/systemd-private-*-inboxd.service-*; do
    [[ -d "$d" ]] || continue
    grep -qxF "$d" <<<"$private_tmp_before" || rm -rf "$d"
  done
}

boot_private_systemd() {
  private_tmp_before=$(compgen -G '/tmp/systemd-private-*-inboxd.service-*' || true)
  local masks=() u t d
  for t in sysinit local-fs sockets basic network-online timers paths; do
    for d in /lib/systemd/system /etc/systemd/system; do
      for u in "$d/$t.target.wants"/*; do
        [[ -e "$u" || -L "$u" ]] || continue
        u=${u##*/}
        [[ $u == systemd-journald.service || $u == systemd-journald.socket ||
          $u == systemd-journald-dev-log.socket ]] && continue
        masks+=("$u")
      done
    done
  done
  # PID 1 of the new namespace is bash until it execs systemd; the setup
  # only touches the namespace's own /run.
  env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin container=inboxd-deb-test \
    unshare --pid --fork --mount --mount-proc --propagation private -- \
    bash -c 'set -e
      mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
      # systemd makes / shared at boot, but not in a container: without it
      # the credentials it mounts for a unit (LoadCredential=) in a child
      # namespace never reach the unit. Shared within this namespace only.
      mount --make-rshared /
      mkdir -p /run/systemd/system
      for u in "$@"; do ln -sf /dev/null "/run/systemd/system/$u"; done
      printf "[Unit]\nDescription=deb_test: journald only\nWants=systemd-journald.service\n" \
        >/run/systemd/system/inboxd-deb-test.target
      exec /lib/systemd/systemd --system --unit=inboxd-deb-test.target \
        --log-target=console --log-level=notice' _ "${masks[@]}" \
    </dev/null >"$work/systemd.log" 2>&1 &
  ns_unshare=$!
  for _ in $(seq 50); do
    ns_init=$(pgrep -P "$ns_unshare" || true)
    [[ -n $ns_init && "$(readlink "/proc/$ns_init/exe" 2>/dev/null)" == */systemd ]] && break
    ns_init=""
    sleep 0.1
  done
  [[ -n $ns_init ]] || die "the private systemd did not start: $(cat "$work/systemd.log")"
  in_ns=(nsenter -t "$ns_init" -a)
}

stop_private_systemd() {
  if [[ -n $ns_init ]]; then
    # SIGKILL to a PID namespace's init ends every process in it.
    kill -KILL "$ns_init" 2>/dev/null || true
    wait "$ns_unshare" 2>/dev/null || true
    ns_init=""
    ns_unshare=""
    remove_private_tmp
  fi
  in_ns=()
}

# unit_prop NAME: a property of inboxd.service (systemctl show).
unit_prop() { sd systemctl show -p "$1" --value inboxd.service; }

# journal_has PRIORITY PYTHON_REGEX: a journal entry of the unit's process at
# PRIORITY (syslog level, from the daemon's <N> prefix; "" any) whose MESSAGE
# matches.
journal_has() {
  sd journalctl -u inboxd.service -o json --no-pager 2>/dev/null >"$work/journal.json" || true
  python3 - "$1" "$2" "$work/journal.json" <<'PY'
import json, re, sys
prio, rx, path = sys.argv[1], re.compile(sys.argv[2]), sys.argv[3]
for line in open(path, encoding="utf-8", errors="replace"):
    try: e = json.loads(line)
    except ValueError: continue
    m = e.get("MESSAGE")
    if prio and e.get("PRIORITY") != prio:
        continue
    if isinstance(m, str) and e.get("_COMM") == "inboxd" and rx.search(m):
        sys.exit(0)
sys.exit(1)
PY
}

# wait_for SECONDS WHAT CMD...: CMD succeeds within SECONDS, else the test dies.
wait_for() {
  local secs=$1 what=$2
  shift 2
  local deadline=$(($(date +%s) + secs))
  until "$@"; do
    (($(date +%s) < deadline)) ||
      die "$what (after ${secs} s): $(sd systemctl status --no-pager -n 0 inboxd.service 2>&1)
journal:
$(sd journalctl -u inboxd.service --no-pager -n 30 -o cat 2>&1)
systemd:
$(tail -n 20 "$work/systemd.log")"
    sleep 0.2
  done
}

# acks_at_customer: how many acknowledgements the rig's customer received.
acks_at_customer() {
  local files
  files=$(grep -ls '^Auto-Submitted: auto-replied' "$rig"/mail/customer/new/* \
    "$rig"/mail/customer/cur/* 2>/dev/null || true)
  if [[ -z $files ]]; then
    echo 0
  else
    wc -l <<<"$files"
  fi
}

systemd_section() {
  local started=0
  if [[ "$(cat /proc/1/comm)" == systemd ]]; then
    step "systemd (the host's)"
  elif [[ -x /lib/systemd/systemd ]] && command -v unshare nsenter >/dev/null; then
    step "systemd (a private one in its own PID and mount namespaces)"
    boot_private_systemd
    started=1
  else
    skip_or_fail "no systemd here (package systemd): the unit was not run under systemd"
    return 0
  fi
  local state_now=""
  for _ in $(seq 150); do
    state_now=$(sd systemctl is-system-running 2>/dev/null || true)
    [[ $state_now == running || $state_now == degraded ]] && break
    sleep 0.2
  done
  [[ $state_now == running || $state_now == degraded ]] ||
    die "systemd is not up ($state_now): $(cat "$work/systemd.log")"

  # LoadCredential= as README "Install" describes it: the support password
  # becomes root-only and reaches the service only as a credential.
  local config_copy="$work/config-before-systemd.toml"
  cp -p /etc/inboxd/inboxd.toml "$config_copy"
  chown root:root /etc/inboxd/test-support.pass
  chmod 0600 /etc/inboxd/test-support.pass
  dropin=/run/systemd/system/inboxd.service.d
  sd mkdir -p "$dropin"
  printf '[Service]\nLoadCredential=test-support.pass:/etc/inboxd/test-support.pass\n' |
    sd tee "$dropin/credential.conf" >/dev/null
  sed -i 's#^password_file = "/etc/inboxd/test-support.pass"#password_file = "/run/credentials/inboxd.service/test-support.pass"#' \
    /etc/inboxd/inboxd.toml
  grep -q '^password_file = "/run/credentials/inboxd.service/test-support.pass"' /etc/inboxd/inboxd.toml ||
    die "the config has no test-support.pass to hand over: $(cat /etc/inboxd/inboxd.toml)"
  local config_credential="$work/config-credential.toml"
  cp /etc/inboxd/inboxd.toml "$config_credential"
  sd systemctl daemon-reload

  step "systemctl enable --now inboxd"
  sd systemctl enable --now inboxd >"$work/enable.log" 2>&1 ||
    die "systemctl enable --now inboxd: $(cat "$work/enable.log") $(sd systemctl status --no-pager -n 30 inboxd 2>&1)"
  [[ "$(sd systemctl is-enabled inboxd)" == enabled ]] || die "not enabled"
  local t0 main_pid
  # The unit's processes as systemd runs them (user, sandbox).
  daemon_json_ok() (
    cd / && sd setpriv --reuid=inboxd --regid=inboxd --init-groups env -i \
      /usr/bin/inboxd status --config /etc/inboxd/inboxd.toml --json 2>/dev/null |
      json_true 's["daemon_running"] and all(m["folders"] and all(f["connected"] for f in m["folders"]) for m in s["mailboxes"])'
  )

  wait_for 60 "the service never showed all folders connected" daemon_json_ok
  [[ "$(unit_prop ActiveState)" == active ]] || die "ActiveState $(unit_prop ActiveState)"
  main_pid=$(unit_prop MainPID)
  [[ "$(sd ps -o user= -p "$main_pid")" == inboxd ]] || die "MainPID $main_pid runs as $(sd ps -o user= -p "$main_pid")"
  # The journal: the daemon's <N> prefix became each line's priority, and no
  # timestamp of its own (journald has one).
  wait_for 10 "no info line 'templates: /usr/share/inboxd/templates' (priority 6) in the journal" \
    journal_has 6 '^templates: /usr/share/inboxd/templates$'
  wait_for 10 "no tls=none warning (priority 4) in the journal" \
    journal_has 4 '^mailbox (sales|support): tls = "none"'
  ! journal_has 6 '^\[?[0-9]{4}-[0-9]{2}-[0-9]{2}' || die "journal lines carry a timestamp of their own"

  step "a customer mail acknowledged under systemd"
  local before
  before=$(acks_at_customer)
  "$src/scripts/rig" deliver "$rig" sales "$src/examples/mail/01-quote-de.eml" >/dev/null
  acks_grew() { (($(acks_at_customer) > before)); }
  wait_for 60 "no acknowledgement under systemd" acks_grew
  wait_for 10 "no 'outbox.sent' event line in the journal" \
    journal_has 6 '^mailbox=sales ticket=\S+ outbox\.sent #[0-9]+ '

  step "systemctl reload inboxd (good config, then a bad one)"
  sd systemctl reload inboxd || die "systemctl reload failed"
  wait_for 15 "no config.loaded after systemctl reload" journal_has 6 ' config\.loaded #[0-9]+'
  printf '\n[limits]\nmax_message_bytes = "lots"\n' >>/etc/inboxd/inboxd.toml
  sd systemctl reload inboxd || die "systemctl reload (bad config) failed"
  wait_for 15 "a bad config's reload was not refused in the journal (priority 3)" \
    journal_has 3 '^reload of /etc/inboxd/inboxd\.toml refused, the running config stays: .*max_message_bytes'
  [[ "$(unit_prop ActiveState)" == active && "$(unit_prop MainPID)" == "$main_pid" ]] ||
    die "a refused reload changed the service: $(unit_prop ActiveState) pid $(unit_prop MainPID)"

  step "Restart=on-failure after SIGKILL"
  # The bad line out again: the restarted daemon reads the file afresh.
  cat "$config_credential" >/etc/inboxd/inboxd.toml
  sd systemctl kill -s KILL inboxd
  restarted() { [[ "$(unit_prop NRestarts)" == 1 && "$(unit_prop ActiveState)" == active ]]; }
  wait_for 20 "not restarted after SIGKILL (RestartSec=5s)" restarted
  [[ "$(unit_prop MainPID)" != "$main_pid" ]] || die "same MainPID after a restart"
  wait_for 60 "the restarted service never showed all folders connected" daemon_json_ok

  step "systemctl stop inboxd"
  t0=$(date +%s%N)
  sd systemctl stop inboxd
  local ms=$((($(date +%s%N) - t0) / 1000000))
  echo "   systemctl stop took ${ms} ms"
  [[ "$(unit_prop Result)" == success && "$(unit_prop ExecMainStatus)" == 0 ]] ||
    die "stop: Result=$(unit_prop Result) ExecMainStatus=$(unit_prop ExecMainStatus)"
  ((ms < 5000)) || die "systemctl stop took ${ms} ms"

  step "a bad config: exit 2, no restart (RestartPreventExitStatus=2)"
  printf '\n[limits]\nmax_message_bytes = "lots"\n' >>/etc/inboxd/inboxd.toml
  sd systemctl start inboxd || true
  failed_for_good() { [[ "$(unit_prop ActiveState)" == failed ]]; }
  wait_for 15 "a bad config did not leave the unit failed (auto-restart?)" failed_for_good
  [[ "$(unit_prop ExecMainStatus)" == 2 ]] || die "ExecMainStatus $(unit_prop ExecMainStatus) for a bad config"
  journal_has 3 'max_message_bytes' || die "the bad config's error is not in the journal"
  sd systemctl reset-failed inboxd

  sd systemctl disable inboxd >/dev/null 2>&1
  [[ ! -e /etc/systemd/system/multi-user.target.wants/inboxd.service ]] || die "disable left the symlink"
  sd rm -rf "$dropin"
  dropin=""
  sd systemctl daemon-reload
  cp -p "$config_copy" /etc/inboxd/inboxd.toml
  chown root:inboxd /etc/inboxd/test-support.pass
  chmod 0640 /etc/inboxd/test-support.pass
  ((started)) && stop_private_systemd
  return 0
}

if [[ $mode == real && -n "$rig" ]]; then
  systemd_section
fi

if [[ $mode == real ]]; then
  # --- upgrade ----------------------------------------------------------------
  step "upgrade to a newer version"
  new_version="${version}+pkgtest1"
  dpkg-deb -R "$deb" "$work/repack"
  sed -i "s/^Version: .*/Version: $new_version/" "$work/repack/DEBIAN/control"
  dpkg-deb --root-owner-group -b "$work/repack" "$work/inboxd_${new_version}_${arch}.deb" >/dev/null
  before_config=$(sha256sum </etc/inboxd/inboxd.toml)
  before_db=$(sha256sum <"$state/inboxd.db")
  before_key=$(sha256sum <"$state/hmac.key")
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=120 "$work/inboxd_${new_version}_${arch}.deb" </dev/null >"$work/apt-upgrade.log" 2>&1; then
    cat "$work/apt-upgrade.log" >&2
    die "apt-get install (upgrade) failed"
  fi
  [[ "$(dpkg-query -W -f='${Version}' inboxd)" == "$new_version" ]] || die "not upgraded"
  [[ "$(sha256sum </etc/inboxd/inboxd.toml)" == "$before_config" ]] || die "the upgrade changed the edited config"
  [[ ! -e /etc/inboxd/inboxd.toml.dpkg-new && ! -e /etc/inboxd/inboxd.toml.dpkg-dist ]] ||
    die "the upgrade left a .dpkg-new/.dpkg-dist config"
  [[ "$(stat -c '%U:%G %a' /etc/inboxd/inboxd.toml)" == "root:inboxd 640" ]] ||
    die "after the upgrade /etc/inboxd/inboxd.toml is $(stat -c '%U:%G %a' /etc/inboxd/inboxd.toml)"
  [[ "$(sha256sum <"$state/inboxd.db")" == "$before_db" && "$(sha256sum <"$state/hmac.key")" == "$before_key" ]] ||
    die "the upgrade changed the state"
  [[ "$(id -u inboxd)" == "$uid" ]] || die "the upgrade changed inboxd's uid"
  status_json | json_true 'not s["daemon_running"] and s["mailboxes"]' ||
    die "status after the upgrade: $(status_json)"

  # --- remove and purge ---------------------------------------------------------
  step "dpkg -r inboxd"
  dpkg -r inboxd >"$work/remove.log" 2>&1 || die "dpkg -r: $(cat "$work/remove.log")"
  for f in /usr/bin/inboxd /usr/share/inboxd /lib/systemd/system/inboxd.service \
    /usr/share/man/man8/inboxd.8.gz /usr/share/doc/inboxd; do
    [[ ! -e "$f" ]] || die "dpkg -r left $f"
  done
  [[ "$(dpkg-query -W -f='${Status}' inboxd)" == "deinstall ok config-files" ]] ||
    die "after dpkg -r: $(dpkg-query -W -f='${Status}' inboxd)"
  [[ "$(sha256sum </etc/inboxd/inboxd.toml)" == "$before_config" ]] || die "dpkg -r did not keep the config"
  [[ "$(sha256sum <"$state/inboxd.db")" == "$before_db" && -f "$state/hmac.key" ]] ||
    die "dpkg -r did not keep the state"
  getent passwd inboxd >/dev/null || die "dpkg -r deleted the user"

  step "dpkg --purge inboxd"
  dpkg --purge inboxd >"$work/purge.log" 2>&1 || die "dpkg --purge: $(cat "$work/purge.log")"
  ! dpkg-query -W -f='${Status}' inboxd 2>/dev/null | grep -q "installed\|config-files" ||
    die "after purge: $(dpkg-query -W -f='${Status}' inboxd)"
  [[ ! -e /etc/inboxd/inboxd.toml ]] || die "purge kept /etc/inboxd/inboxd.toml"
  [[ -f /etc/inboxd/test-support.pass ]] || die "purge deleted a file the administrator put in /etc/inboxd"
  [[ "$(sha256sum <"$state/inboxd.db")" == "$before_db" ]] ||
    die "purge deleted the store (the audit trail is kept; packaging/README.md)"
  grep -q "kept /var/lib/inboxd" "$work/purge.log" || die "purge did not say it kept the state: $(cat "$work/purge.log")"
  [[ ! -e /usr/bin/inboxd ]] || die "/usr/bin/inboxd is back"
fi

step "done ($mode install)"
