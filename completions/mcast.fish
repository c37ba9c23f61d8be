# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mcast_global_optspecs
    string join \n color= h/help V/version
end

function __fish_mcast_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mcast_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mcast_using_subcommand
    set -l cmd (__fish_mcast_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mcast -n "__fish_mcast_needs_command" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_needs_command" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "manpages" -d 'Write the man pages into a directory'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "send" -d 'Send a message, lines of standard input, or numbered probes to a group'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "recv" -d 'Join a group and show every datagram that arrives, with loss and delay for probes'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "join" -d 'Join groups and hold them (so switches and routers see a member) until stopped'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "ping" -d 'Ask reflectors (ssmpingd) for unicast and multicast replies: does multicast reach you?'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "reflect" -d 'Answer ssmping and RFC 6450 requests (ssmping, asmping, omping, mcast ping), safely'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "mesh" -d 'Run on every host of a list: each answers and pings the others (RFC 6450, with omping)'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "watch" -d 'See IGMP and MLD on the wire: queriers, reports, leaves, and the problems they cause'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "monitor" -d 'Watch many groups at once (a list, or an M3U playlist): alarms when one never starts, stalls or loses'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "doctor" -d 'Why multicast does not arrive: every host setting that decides it, with the fix'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "ifaces" -d 'List interfaces with their flags and addresses'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "groups" -d 'List the group memberships the kernel holds, with source filters'
complete -c mcast -n "__fish_mcast_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mcast -n "__fish_mcast_using_subcommand completions" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand completions" -s h -l help -d 'Print help'
complete -c mcast -n "__fish_mcast_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand manpages" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand manpages" -s h -l help -d 'Print help'
complete -c mcast -n "__fish_mcast_using_subcommand manpages" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand generate" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand generate" -s h -l help -d 'Print help'
complete -c mcast -n "__fish_mcast_using_subcommand generate" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand send" -s i -l interface -d 'Interface to send through: name, index or address' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand send" -s c -l count -d 'How many datagrams to send (default: 1 for a message, unlimited for probes)' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -s r -l rate -d 'Datagrams per second, or \'max\' for as fast as the system takes them' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l interval -d 'Time between datagrams (default 1s for probes and repeated messages)' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -s d -l duration -d 'Stop after this long' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l report -d 'Print the figures so far every DURATION, at the next datagram (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l size -d 'Probe size in bytes, header included (1400, 8K)' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l sizes -d 'Probe sizes to cycle through, probe by probe (200,1400,1472; up to 8): receivers then count each size apart and say which sizes do not arrive' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l ttl -d 'Time to live (IPv4) or hop limit (IPv6); 1 stays on the link' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l prec -d 'IP precedence, the top three bits of the TOS byte or traffic class' -r
complete -c mcast -n "__fish_mcast_using_subcommand send" -l bind -d 'Source address to send from' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand send" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand send" -l loop -d 'Deliver to receivers on this host too'
complete -c mcast -n "__fish_mcast_using_subcommand send" -l no-loop -d 'Do not deliver to receivers on this host'
complete -c mcast -n "__fish_mcast_using_subcommand send" -l df -d 'Set Don\'t Fragment: never fragmented; too big for the interface is an error (by default the kernel sets DF on datagrams that fit the interface\'s MTU)'
complete -c mcast -n "__fish_mcast_using_subcommand send" -l no-df -d 'Clear Don\'t Fragment: routers on the way may fragment what their links cannot carry'
complete -c mcast -n "__fish_mcast_using_subcommand send" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand send" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s i -l interface -d 'Interface to join on: name, index or address' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l source -d 'Receive only from this source (source-specific join); repeat for several' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s c -l count -d 'Stop after this many datagrams' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s t -l timeout -d 'Stop when nothing has arrived for this long (e.g. 5s)' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s d -l duration -d 'Stop after this long in all (e.g. 1m)' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l rcvbuf -d 'Socket receive buffer in bytes (8M, 8388608); beyond net.core.rmem_max needs root' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l report -d 'Print the figures so far every DURATION (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l content -d 'What the datagrams carry: auto finds mcast probes, RTP or MPEG-TS in each sender\'s first datagrams; probe reads probes only; raw reads nothing' -r -f -a "auto\t''
rtp\t''
ts\t''
probe\t''
raw\t''"
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l seq -d 'Read a sequence number from each datagram: OFFSET:LEN[:be|le] (bytes), or moldudp64' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l clock-rate -d 'Clock rate of a dynamic RTP payload type (96-127), for jitter: 90000 for video' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l stall -d 'Say a stream stalled when nothing of it came for this long' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l pid-timeout -d 'How long a PID the MPEG-TS PMT lists may be silent (TR 101 290 1.6)' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l metrics -d 'Serve the figures to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1\'s' -r
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s q -l quiet -d 'No line per datagram, nor per content event (gap, stall...): the summary only'
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand recv" -l packets -d 'A line per datagram of RTP, MPEG-TS and feeds too (by default only their events)'
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand recv" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand join" -s i -l interface -d 'Interface to join on: name, index or address' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand join" -l source -d 'Join only this source (source-specific); repeat for several' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand join" -s d -l duration -d 'Leave after this long (default: hold until Ctrl-C)' -r
complete -c mcast -n "__fish_mcast_using_subcommand join" -l report -d 'Show what the kernel holds again every DURATION (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand join" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand join" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand join" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand join" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand ping" -s c -l count -d 'Requests to send to each server (default: until Ctrl-C)' -r
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l interval -d 'Time between requests' -r
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l group -d 'Group to ask for (default 232.43.211.234 or ff3e::4321:1234)' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand ping" -s i -l interface -d 'Interface to join on: name, index or address (-I as ping has it)' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l protocol -d 'The protocol to speak: ssmping (ssmpingd, routers) or rfc6450 (omping, mcast reflect)' -r -f -a "ssmping\t'The ssmping protocol: ssmpingd, routers\' reflectors'
rfc6450\t'The Multicast Ping Protocol, which omping speaks (`omping` is accepted for it)'"
complete -c mcast -n "__fish_mcast_using_subcommand ping" -s t -l timeout -d 'How long to wait for replies after the last request (-W as ping has it)' -r
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l report -d 'Print each server\'s figures so far every DURATION (as Ctrl-\\\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l any-source -d 'Join the group from any source, as asmping does, not from each server only'
complete -c mcast -n "__fish_mcast_using_subcommand ping" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand ping" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand ping" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l port -d 'UDP port to answer on (1-65535: clients ask the port they were told)' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l bind -d 'Answer only requests sent to this address of the host (default: any of its addresses)' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -s i -l interface -d 'Answer only requests that arrive on this interface (name, index or address)' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l group -d 'Also answer for this group (beyond 232.43.211.234, ff3e::4321:1234 and groups ending in .234 or ::4321:1234); repeat for several' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l rate -d 'Requests a second each client may make (a burst of twice that is allowed)' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l total-rate -d 'Requests a second answered in all' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l group-rate -d 'Multicast replies a second to each group, whoever asked (a burst of twice that is allowed)' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l max-reply-size -d 'Largest reply to send when a request asks for more than its own size (ssmping\'s reply-size option); by default no reply is larger than its request' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -s d -l duration -d 'Stop after this long (default: until Ctrl-C)' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l report -d 'Print the figures so far every DURATION (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l metrics -d 'Serve the counts to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1\'s' -r
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand reflect" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -s c -l count -d 'Requests to send to each other host (default: until Ctrl-C)' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l interval -d 'Time between requests' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l group -d 'Group the replies go to (default 232.43.211.234 or ff3e::4321:1234)' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -s i -l interface -d 'Interface to join on and send replies out of: name, index or address' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l port -d 'UDP port every host of the mesh uses' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l wait -d 'How long a host may take to answer at all (it may start later) before it is given up' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -s t -l timeout -d 'How long to wait for replies after the last request' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l report -d 'Print this host\'s figures of each other host so far every DURATION (as Ctrl-\\\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l any-source -d 'Join the group from any source, not from each host of the list only'
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand mesh" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s i -l interface -d 'Interface to watch: name, index or address; repeat for several (default: every interface that is up and multicast-capable)' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s d -l duration -d 'Stop after this long (default: until Ctrl-C)' -r
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l report -d 'Print the queriers, hosts and figures so far every DURATION (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l querier-timeout -d 'Warn when no querier is heard on a link for this long' -r
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l pcap -d 'Also write every packet captured to FILE, as pcapng: a block per link, kernel timestamps, the direction (tcpdump -r FILE, Wireshark)' -r -F
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s r -l read -d 'Read IGMP and MLD from a capture file instead of the wire (pcap or pcapng; Ethernet with VLAN tags, Linux cooked v1 or v2, raw IP), on the file\'s own clock' -r -F
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l metrics -d 'Serve what the capture saw to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1\'s' -r
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s 4 -d 'IGMP only'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s 6 -d 'MLD only'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -l fail-on-warning -d 'Exit with status 1 when any warning was given (for scripts and monitoring)'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand watch" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l pair -d 'An A/B pair: two targets that carry one feed, e.g. feed1=239.1.1.1:5000,239.2.1.1:5000 (as two targets of one name)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -s f -l file -d 'Read targets from FILE too: one a line (# comments), or an M3U/M3U8 playlist' -r -F
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -s i -l interface -d 'Interface to join on, for targets that name none: name, index or address' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l content -d 'What the datagrams carry: auto finds RTP or MPEG-TS in each sender\'s first datagrams; raw counts datagrams only' -r -f -a "auto\t''
rtp\t''
ts\t''
raw\t''"
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l seq -d 'Read a sequence number from each datagram: OFFSET:LEN[:be|le] (bytes), or moldudp64' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l clock-rate -d 'Clock rate of a dynamic RTP payload type (96-127), for jitter: 90000 for video' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l stall -d 'Raise a stall when a group is silent this long (and never_started when one has not started this long after the joins)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l loss-alarm -d 'Raise a loss alarm when more than this percentage of a group\'s packets is lost in one second (0: any loss)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l report -d 'Print the table of every group every DURATION (as Ctrl-\\ does at any time)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -s d -l duration -d 'Stop after this long in all (e.g. 1m)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l rcvbuf -d 'Socket receive buffer in bytes, for each socket (8M, 8388608)' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l metrics -d 'Serve the figures to Prometheus at http://ADDR/metrics (OpenMetrics): a port alone is 127.0.0.1\'s' -r
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l json -d 'Print JSON Lines instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -l no-tui -d 'Lines of text even on a terminal, instead of the live view'
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -s s -l source -d 'A sender to join from (source-specific); repeat for several' -r -f
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -s i -l interface -d 'Interface to join on: name, index or address (default: the route\'s choice)' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -l listen -d 'Also join for this long and report what arrived and which kernel counters moved' -r
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -l send -d 'Look at the sender\'s side instead: route out, source address, TTL, MTU'
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -l json -d 'Print one JSON array of checks instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -s 4 -d 'IPv4 addresses only'
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -s 6 -d 'IPv6 addresses only'
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -l json -d 'Print one JSON array instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand ifaces" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand groups" -s i -l interface -d 'Show only the groups of this interface (name, index or address)' -r -f -a "(__fish_print_interfaces)"
complete -c mcast -n "__fish_mcast_using_subcommand groups" -l color -d 'Colour for people: auto (a terminal, unless NO_COLOR is set; CLICOLOR_FORCE forces it), always or never. Never in JSON' -r -f -a "auto\t''
always\t''
never\t''"
complete -c mcast -n "__fish_mcast_using_subcommand groups" -s 4 -d 'Show only IPv4 groups'
complete -c mcast -n "__fish_mcast_using_subcommand groups" -s 6 -d 'Show only IPv6 groups'
complete -c mcast -n "__fish_mcast_using_subcommand groups" -l json -d 'Print one JSON array instead of text'
complete -c mcast -n "__fish_mcast_using_subcommand groups" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mcast -n "__fish_mcast_using_subcommand groups" -s V -l version -d 'Print version'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "manpages" -d 'Write the man pages into a directory'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "send" -d 'Send a message, lines of standard input, or numbered probes to a group'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "recv" -d 'Join a group and show every datagram that arrives, with loss and delay for probes'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "join" -d 'Join groups and hold them (so switches and routers see a member) until stopped'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "ping" -d 'Ask reflectors (ssmpingd) for unicast and multicast replies: does multicast reach you?'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "reflect" -d 'Answer ssmping and RFC 6450 requests (ssmping, asmping, omping, mcast ping), safely'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "mesh" -d 'Run on every host of a list: each answers and pings the others (RFC 6450, with omping)'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "watch" -d 'See IGMP and MLD on the wire: queriers, reports, leaves, and the problems they cause'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "monitor" -d 'Watch many groups at once (a list, or an M3U playlist): alarms when one never starts, stalls or loses'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "doctor" -d 'Why multicast does not arrive: every host setting that decides it, with the fix'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "ifaces" -d 'List interfaces with their flags and addresses'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "groups" -d 'List the group memberships the kernel holds, with source filters'
complete -c mcast -n "__fish_mcast_using_subcommand help; and not __fish_seen_subcommand_from completions manpages generate send recv join ping reflect mesh watch monitor doctor ifaces groups help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
