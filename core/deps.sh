#!/bin/sh
# The Debian packages umlab needs to build, test and run its default lab.
#   core/deps.sh                      list the missing ones (exit 1 if any)
#   core/deps.sh --list               list all of them
#   core/deps.sh --install-or-explain as root: apt-get install them;
#                                     otherwise print the exact command and exit 1
BUILD="autoconf automake libtool pkg-config make gcc libc6-dev libvdeplug-dev liblua5.4-dev libgraphviz-dev libpcap-dev libcmocka-dev libjansson-dev"
# vdeplug: linux.uml's VDE transport runs /usr/bin/vde_plug (user-mode-linux does not
# depend on it); guests' cabled NICs use the vector driver, but a NIC with no cable is a
# VDE null:// one and fails without it ("vde_user_init: vde_open failed, errno = 2").
# e2fsprogs: persist disks (mkfs.ext4); dmsetup: disk faults in guests;
# mount: the guests' mount(8) (a minimal root may lack it).
RUN="user-mode-linux vdeplug iputils-ping iproute2 kmod e2fsprogs dmsetup mount"
# procps: the end-to-end tests count guest processes with pgrep and ps.
TEST="procps"
PKGS="$BUILD $RUN $TEST $UMLAB_EXTRA_PKGS"

if [ "$1" = "--list" ]; then
	echo $PKGS
	exit 0
fi
missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in *" installed") ;; *) missing="$missing $p" ;; esac
done
missing=${missing# }
[ -z "$missing" ] && exit 0

if [ "$1" != "--install-or-explain" ]; then
	echo "missing Debian packages: $missing"
	exit 1
fi
if [ "$(id -u)" = 0 ]; then
	echo "umlab: installing missing Debian packages: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null || {
		echo "umlab: apt-get install failed; run it yourself: apt-get install $missing" >&2
		exit 1
	}
	exit 0
fi
echo "umlab: missing Debian packages. Install them with:" >&2
echo "  sudo apt-get install $missing" >&2
exit 1
