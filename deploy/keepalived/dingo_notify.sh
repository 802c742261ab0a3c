#!/bin/sh
# Keepalived notify script for the DingoSpeed VIP (see README.md), run as root:
#   dingo_notify.sh <VIP> <PORT> INSTANCE <name> <MASTER|BACKUP|FAULT|STOP> <priority>
# (keepalived appends the last four arguments).
#
# When this node stops holding the VIP, its clients' connections to the VIP are dead ends: their
# packets now reach the other node, and whatever the gateway here sends would have the VIP as its
# source, which the kernel no longer routes. Left alone, downloads hang until the client's own
# timeout. So the connections are reset here and now (ss -K), and clients retry and resume with
# a Range request on the new master. For the reset to leave this host, the VIP is put on lo for
# the moment it takes (arp_ignore=1 keeps this node from answering ARP for it meanwhile).
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

vip=${1:?VIP}
port=${2:?port}
state=${5:-}

log() { logger -t dingo-notify -- "$*" 2>/dev/null || echo "dingo-notify: $*" >&2; }

case "$state" in
  MASTER)
    log "$vip: MASTER (priority ${6:-?})"
    exit 0
    ;;
  BACKUP | FAULT | STOP) ;;
  *) exit 0 ;;
esac

# Still (or again) ours, e.g. after a quick flap: keep serving.
if ip -4 -o addr show | grep -v ' lo ' | grep -q " inet $vip/"; then
  log "$vip: $state, but the VIP is on this node: connections kept"
  exit 0
fi

if [ "$(cat /proc/sys/net/ipv4/conf/all/arp_ignore 2>/dev/null || echo 0)" = 0 ]; then
  log "warning: net.ipv4.conf.all.arp_ignore is 0; set it to 1 (README.md) so this node never answers ARP for $vip"
fi

added=
if ip -4 addr add "$vip/32" dev lo 2>/dev/null; then added=1; fi
# Established only: sockets a dead gateway left behind (FIN-WAIT) are finishing with a clean FIN.
closed=$(ss -K -t -n -H state established src "$vip" sport = :"$port" 2>/dev/null | wc -l)
if [ -n "$added" ]; then ip -4 addr del "$vip/32" dev lo 2>/dev/null; fi
log "$vip: $state: reset $closed client connection(s) on port $port so they resume on the new master"
exit 0
