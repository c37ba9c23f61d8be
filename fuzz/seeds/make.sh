#!/bin/bash
# Makes the fuzz targets' seed corpora from real traffic: a lab of three network namespaces
# this script creates (two hosts on a bridge that queries IGMPv3 and MLDv2), where mcast,
# ssmpingd and a forced IGMPv2 host join, leave, ping, reflect, send probes and run a mesh,
# while tcpdump captures on the first host. Each packet becomes a seed: its IP bytes in ip/
# (for igmp, ip_packets), its UDP payload in udp/ (for ping_wire, reflect_answer, columns,
# probes). Run as root from the repository, after `cargo build`; it removes what it made.
#   bash fuzz/seeds/make.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
mcast=${MCAST:-$repo/target/debug/mcast}
out=$repo/fuzz/seeds
tag="mcs$$"
sw="$tag-sw" h1="$tag-h1" h2="$tag-h2"
pcap=$(mktemp --suffix .pcap)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for n in "$h1" "$h2"; do
        for p in $(ip netns pids "$n" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
    done
    for n in "$sw" "$h1" "$h2"; do ip netns del "$n" 2>/dev/null || true; done
    rm -f "$pcap"
}
trap cleanup EXIT

for n in "$sw" "$h1" "$h2"; do ip netns add "$n"; done
ip -n "$sw" link add br0 type bridge mcast_snooping 1 mcast_querier 1 \
    mcast_igmp_version 3 mcast_mld_version 2 mcast_query_interval 200
ip -n "$sw" link set br0 up
i=1
for h in "$h1" "$h2"; do
    ip -n "$sw" link add "p$i" type veth peer name eth0 netns "$h"
    ip -n "$sw" link set "p$i" master br0 up
    ip -n "$h" addr add "192.0.2.$i/24" dev eth0
    ip -n "$h" addr add "2001:db8::$i/64" dev eth0 nodad
    ip -n "$h" link set eth0 up
    ip -n "$h" link set lo up
    ip -n "$h" route add 224.0.0.0/4 dev eth0
    i=$((i + 1))
done
run() { ip netns exec "$@"; }
run "$h1" tcpdump -q -U -i eth0 -s 2048 -w "$pcap" 2>/dev/null &
pids+=($!)
sleep 1

# Joins and leaves: any-source and source-specific, IPv4 and IPv6; then IGMPv2 forced.
run "$h1" timeout 10 "$mcast" join 239.1.1.1 ff15::1234 -i eth0 -d 3s > /dev/null
run "$h1" timeout 10 "$mcast" join 232.1.1.1 --source 192.0.2.2 -i eth0 -d 2s > /dev/null
run "$h1" timeout 10 "$mcast" join ff3e::4321:1 --source 2001:db8::2 -i eth0 -d 2s > /dev/null
run "$h1" sysctl -qw net.ipv4.conf.eth0.force_igmp_version=2
run "$h1" timeout 10 "$mcast" join 239.2.2.2 -i eth0 -d 2s > /dev/null
run "$h1" sysctl -qw net.ipv4.conf.eth0.force_igmp_version=0

# Probes and a message, both families, to groups the first host holds meanwhile.
run "$h1" timeout 10 "$mcast" join 239.1.1.1 ff15::1234 -i eth0 -d 3s > /dev/null &
j=$!
sleep 0.5
run "$h2" timeout 10 "$mcast" send 239.1.1.1 7777 -c 4 --interval 50ms > /dev/null
run "$h2" timeout 10 "$mcast" send ff15::1234%eth0 7777 -c 4 --interval 50ms > /dev/null
run "$h2" timeout 10 "$mcast" send 239.1.1.1 7777 "hi" > /dev/null
wait "$j" || true

# ssmping against ssmpingd, then RFC 6450 against mcast reflect.
# ssmpingd goes into the background by itself: it is ended by the namespace's pids.
run "$h2" ssmpingd > /dev/null 2>&1 &
sleep 0.5
run "$h1" timeout 10 "$mcast" ping 192.0.2.2 -c 3 --interval 200ms -t 1s > /dev/null || true
run "$h1" timeout 10 "$mcast" ping 2001:db8::2 -c 3 --interval 200ms -t 1s > /dev/null || true
for p in $(ip netns pids "$h2"); do kill "$p" 2>/dev/null || true; done
sleep 0.5
run "$h2" timeout 20 "$mcast" reflect > /dev/null &
pids+=($!)
sleep 0.5
run "$h1" timeout 10 "$mcast" ping 192.0.2.2 --protocol rfc6450 -c 3 --interval 200ms -t 1s > /dev/null || true
for p in $(ip netns pids "$h2"); do kill "$p" 2>/dev/null || true; done
sleep 0.5

# A mesh of the two, which shares its columns at the end.
run "$h2" timeout 30 "$mcast" mesh 192.0.2.1 192.0.2.2 -c 3 --interval 200ms > /dev/null &
m=$!
run "$h1" timeout 30 "$mcast" mesh 192.0.2.1 192.0.2.2 -c 3 --interval 200ms > /dev/null || true
wait "$m" || true
sleep 1
kill "${pids[0]}" 2>/dev/null || true; wait "${pids[0]}" 2>/dev/null || true

rm -rf "$out/ip" "$out/udp"
mkdir -p "$out/ip" "$out/udp"
python3 - "$pcap" "$out" <<'PY'
import hashlib, struct, sys
pcap, out = sys.argv[1], sys.argv[2]
data = open(pcap, 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
end = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
link = struct.unpack(end + 'I', data[20:24])[0]
pos, seen = 24, 0
def save(kind, b):
    name = hashlib.sha1(b).hexdigest()[:16]
    open(f"{out}/{kind}/{name}", 'wb').write(b)
while pos + 16 <= len(data):
    _, _, incl, _ = struct.unpack(end + 'IIII', data[pos:pos + 16])
    frame = data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
    # Ethernet, or Linux cooked (SLL, 16 bytes) when tcpdump chose it.
    ipb = frame[14:] if link == 1 else frame[16:]
    if not ipb:
        continue
    save('ip', ipb)
    v = ipb[0] >> 4
    if v == 4 and len(ipb) >= 20 and ipb[9] == 17:
        h = (ipb[0] & 15) * 4
        save('udp', ipb[h + 8:])
    elif v == 6 and len(ipb) >= 48 and ipb[6] == 17:
        save('udp', ipb[48:])
PY
echo "seeds: $(ls "$out/ip" | wc -l) ip, $(ls "$out/udp" | wc -l) udp"
