#!/usr/bin/env bash
# Checks Parley's systemd files offline; ctest runs it as `systemd.verify`.
#   verify.sh SYSTEMD_DIR BIN_DIR
# SYSTEMD_DIR holds parleyd.service, parley.sysusers, parley-test.sysusers
# and parley.tmpfiles; BIN_DIR is the build's bin/ (parleyd, if built).
#
# Touches nothing outside a temporary directory: no running systemd is
# needed (these machines have none as PID 1), users are created in a
# scratch --root, directories under a scratch --root. Any warning about one
# of our files is a failure, and is shown.
set -uo pipefail

src=${1:?usage: verify.sh SYSTEMD_DIR BIN_DIR}
bin=${2:?usage: verify.sh SYSTEMD_DIR BIN_DIR}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/parley-systemd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0

fail() { echo "FAIL: $*"; failed=1; }

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

# --- parleyd.service ---------------------------------------------------------
# verify checks that every Exec*= binary exists, so point /usr/sbin/parleyd
# at the built one (or /bin/true before the supervisor is built). The rest
# of the unit is checked exactly as shipped.
if [[ -x $bin/parleyd ]]; then exe=$bin/parleyd; else exe=/bin/true; fi
unit_dir=$tmp/unit
mkdir -p "$unit_dir"
sed "s#/usr/sbin/parleyd#$exe#g" "$src/parleyd.service" >"$unit_dir/parleyd.service"
echo "== systemd-analyze verify parleyd.service (ExecStart=$exe)"
out=$(cd "$unit_dir" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
        --man=no --generators=no --recursive-errors=no "$unit_dir/parleyd.service" 2>&1)
rc=$?
[[ -n $out ]] && printf '%s\n' "$out"
if grep -q -e 'parleyd\.service' -e "$unit_dir" <<<"$out"; then
  fail "systemd-analyze verify reported problems in parleyd.service"
elif ((rc != 0)); then
  fail "systemd-analyze verify exited $rc"
else
  echo "ok: parleyd.service verifies cleanly"
fi

# The exposure score is for information only; the unit runs as root by
# design (it binds low ports and switches users), which costs points.
score=$(cd "$unit_dir" && systemd-analyze security --offline=yes --no-pager \
          "$unit_dir/parleyd.service" 2>/dev/null | grep -o 'Overall exposure level.*')
[[ -n $score ]] && echo "info: $score"

# --- parley.sysusers, parley-test.sysusers ----------------------------------
# Applied for real, to an empty scratch root: this parses every line and
# shows what a fresh install gets.
echo "== systemd-sysusers (scratch root)"
root=$tmp/sysroot
mkdir -p "$root/etc" "$root/usr/lib/sysusers.d"
cp "$src/parley.sysusers" "$root/usr/lib/sysusers.d/parley.conf"
cp "$src/parley-test.sysusers" "$root/usr/lib/sysusers.d/parley-test.conf"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-sysusers --root="$root" 2>&1)
rc=$?
[[ -n $out ]] && printf '%s\n' "$out"
((rc == 0)) || fail "systemd-sysusers exited $rc"
[[ -z $out ]] || fail "systemd-sysusers printed warnings"

before=$failed
procs=(directory router dequeuer local-delivery smtpd imapd sipd media httpd)
for name in "${procs[@]/#/parley-}" parley-echo parley-relay; do
  line=$(grep "^$name:" "$root/etc/passwd")
  [[ -n $line ]] || { fail "user $name not created"; continue; }
  IFS=: read -r _ _ uid gid _ home shell <<<"$line"
  grep -q "^$name:x:$gid:" "$root/etc/group" || fail "$name: primary group is not $name"
  [[ $shell == /usr/sbin/nologin ]] || fail "$name: shell $shell"
  [[ $home == /var/lib/parley ]] || fail "$name: home $home"
  ((uid != 0)) || fail "$name: uid 0"
done
grep -q '^parley-admin:' "$root/etc/group" || fail "group parley-admin not created"
store=$(grep '^parley-store:' "$root/etc/group" | cut -d: -f4)
[[ $store == "parley-imapd,parley-local-delivery" || $store == "parley-local-delivery,parley-imapd" ]] ||
  fail "parley-store members are '$store', want parley-local-delivery and parley-imapd"
((failed == before)) && echo "ok: users and groups as expected"

# --- parley.tmpfiles ---------------------------------------------------------
# As root: create the directories in a scratch root and check owner and
# mode. Otherwise tmpfiles cannot chown to root, so only parse the file
# (a --prefix that matches no line reads every line and applies none).
echo "== systemd-tmpfiles (scratch root)"
root=$tmp/tmproot
mkdir -p "$root/usr/lib/tmpfiles.d"
cp "$src/parley.tmpfiles" "$root/usr/lib/tmpfiles.d/parley.conf"
if [[ $(id -u) -eq 0 ]]; then
  out=$(systemd-tmpfiles --root="$root" --create 2>&1)
  rc=$?
  for d in run/parley var/lib/parley var/log/parley; do
    got=$(stat -c '%U:%G %a' "$root/$d" 2>/dev/null)
    [[ $got == "root:root 755" ]] || fail "/$d is '$got', want 'root:root 755'"
  done
else
  echo "info: not root, parsing only"
  out=$(systemd-tmpfiles --root="$root" --create --prefix=/nonexistent-parley 2>&1)
  rc=$?
fi
[[ -n $out ]] && printf '%s\n' "$out"
((rc == 0)) || fail "systemd-tmpfiles exited $rc"
[[ -z $out ]] || fail "systemd-tmpfiles printed warnings"
((rc == 0)) && [[ -z $out ]] && echo "ok: parley.tmpfiles applies cleanly"

if ((failed)); then
  echo "systemd.verify: FAILED"
  exit 1
fi
echo "systemd.verify: all checks passed"
