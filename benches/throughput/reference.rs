//! Yardsticks written directly on libc, sharing no code with mcast: what the kernel can do.

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// How a reference sender hands datagrams over.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SendKind {
    /// 64 datagrams per sendmmsg.
    Mmsg,
    /// 16 sendmmsg messages of 32 UDP GSO segments each.
    GsoMmsg,
}

impl SendKind {
    fn name(self) -> &'static str {
        match self {
            SendKind::Mmsg => "mmsg",
            SendKind::GsoMmsg => "gso",
        }
    }
}

/// The flag that makes the bench binary a reference sender: a process of its own, as mcast
/// send and iperf2 are, so that no sender shares the receiver's address space.
pub const SENDER_FLAG: &str = "--reference-sender";

/// The arguments that run `kind` as a sender process (after `SENDER_FLAG`).
pub fn sender_args(kind: SendKind, group: IpAddr, size: usize, count: u64) -> Vec<String> {
    vec![
        kind.name().to_string(),
        group.to_string(),
        size.to_string(),
        count.to_string(),
    ]
}

/// Runs as a sender process: sends to `group`, prints how many datagrams went, and exits.
pub fn sender_process(args: &[String], port: u16, iface: &str) -> ! {
    let parsed = match args {
        [kind, group, size, count] => Some((
            [SendKind::Mmsg, SendKind::GsoMmsg]
                .into_iter()
                .find(|k| k.name() == kind),
            group.parse().ok(),
            size.parse().ok(),
            count.parse().ok(),
        )),
        _ => None,
    };
    let Some((Some(kind), Some(group), Some(size), Some(count))) = parsed else {
        eprintln!("bench: {SENDER_FLAG} KIND GROUP SIZE COUNT, not {args:?}");
        std::process::exit(2);
    };
    match send(kind, group, port, iface, size, count) {
        Ok((sent, _)) => {
            println!("{sent}");
            std::process::exit(0);
        }
        Err(e) => {
            eprintln!("bench: reference sender: {e}");
            std::process::exit(1);
        }
    }
}

/// How a reference receiver takes datagrams in.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RecvKind {
    /// 64 datagrams per recvmmsg.
    Mmsg,
    /// UDP GRO on, 16 buffers of 64 KiB per recvmmsg.
    GroMmsg,
}

fn check(rc: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    if rc < 0 {
        let e = io::Error::last_os_error();
        Err(io::Error::new(e.kind(), format!("{what}: {e}")))
    } else {
        Ok(rc)
    }
}

fn set_int(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
    what: &str,
) -> io::Result<()> {
    // SAFETY: the value is a live c_int and its size is passed.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as u32,
        )
    };
    check(rc, what).map(drop)
}

/// A sockaddr for `addr`, as storage and length.
fn sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain old data.
    let mut ss: libc::sockaddr_storage = unsafe { mem::zeroed() };
    match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as u16,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            (ss, mem::size_of::<libc::sockaddr_in>() as u32)
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as u16,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            (ss, mem::size_of::<libc::sockaddr_in6>() as u32)
        }
    }
}

fn udp_socket(v6: bool) -> io::Result<libc::c_int> {
    let family = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    // SAFETY: plain socket(2) call.
    check(
        unsafe { libc::socket(family, libc::SOCK_DGRAM, 0) },
        "socket",
    )
}

fn ifindex(name: &str) -> u32 {
    let c = std::ffi::CString::new(name).unwrap();
    // SAFETY: a NUL-terminated name.
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}

/// Sends `count` datagrams of `size` bytes to `group:port` through `iface` as fast as the
/// kernel takes them. Returns how many went and how long it took.
pub fn send(
    kind: SendKind,
    group: IpAddr,
    port: u16,
    iface: &str,
    size: usize,
    count: u64,
) -> io::Result<(u64, Duration)> {
    let v6 = group.is_ipv6();
    let fd = udp_socket(v6)?;
    let index = ifindex(iface);
    if v6 {
        set_int(
            fd,
            libc::IPPROTO_IPV6,
            libc::IPV6_MULTICAST_IF,
            index as i32,
            "IPV6_MULTICAST_IF",
        )?;
    }
    set_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, 4 << 20, "SO_SNDBUF")?;
    let (dest, dest_len) = sockaddr(SocketAddr::new(group, port));
    let (messages, segments) = match kind {
        SendKind::Mmsg => (64usize, 1usize),
        SendKind::GsoMmsg => (16, 32.min(65_000 / size).max(1)),
    };
    let payload = vec![0x5au8; messages * segments * size];
    // SAFETY: plain old data.
    let mut iovs: Vec<libc::iovec> = vec![unsafe { mem::zeroed() }; messages];
    let mut hdrs: Vec<libc::mmsghdr> = vec![unsafe { mem::zeroed() }; messages];
    let mut ctrl = vec![[0u64; 4]; messages];
    let start = Instant::now();
    let mut sent = 0u64;
    while sent < count {
        let left = (count - sent) as usize;
        let msgs = left.div_ceil(segments).min(messages);
        for m in 0..msgs {
            let segs_here = segments.min(left - m * segments);
            iovs[m] = libc::iovec {
                iov_base: payload[m * segments * size..].as_ptr() as *mut libc::c_void,
                iov_len: segs_here * size,
            };
            let h = &mut hdrs[m].msg_hdr;
            h.msg_name = (&dest as *const libc::sockaddr_storage) as *mut libc::c_void;
            h.msg_namelen = dest_len;
            h.msg_iov = &mut iovs[m];
            h.msg_iovlen = 1;
            if segments > 1 {
                h.msg_control = ctrl[m].as_mut_ptr().cast();
                // SAFETY: size computations only.
                h.msg_controllen = unsafe { libc::CMSG_SPACE(2) } as usize;
                // SAFETY: the control buffer is 32 aligned bytes, room for one u16 cmsg.
                unsafe {
                    let c = libc::CMSG_FIRSTHDR(h);
                    (*c).cmsg_level = libc::SOL_UDP;
                    (*c).cmsg_type = libc::UDP_SEGMENT;
                    (*c).cmsg_len = libc::CMSG_LEN(2) as usize;
                    std::ptr::write_unaligned(libc::CMSG_DATA(c).cast::<u16>(), size as u16);
                }
            }
        }
        // SAFETY: the headers point into live buffers for the call's duration.
        let n = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), msgs as u32, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOBUFS) || e.kind() == io::ErrorKind::WouldBlock {
                continue;
            }
            // SAFETY: closing our own descriptor.
            unsafe { libc::close(fd) };
            return Err(io::Error::new(e.kind(), format!("sendmmsg: {e}")));
        }
        let bytes: usize = iovs[..n as usize].iter().map(|v| v.iov_len).sum();
        sent += (bytes / size) as u64;
    }
    let took = start.elapsed();
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(fd) };
    Ok((sent, took))
}

/// A joined, bound reference receiver.
pub struct Receiver {
    fd: libc::c_int,
    kind: RecvKind,
}

impl Receiver {
    /// Binds `group:port`, joins `group` on `iface`, with a `rcvbuf`-byte receive buffer.
    pub fn new(
        kind: RecvKind,
        group: IpAddr,
        port: u16,
        iface: &str,
        rcvbuf: i32,
    ) -> io::Result<Receiver> {
        let v6 = group.is_ipv6();
        let fd = udp_socket(v6)?;
        set_int(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1, "SO_REUSEADDR")?;
        set_int(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            rcvbuf,
            "SO_RCVBUFFORCE",
        )?;
        let (addr, len) = sockaddr(SocketAddr::new(group, port));
        // SAFETY: addr is a valid sockaddr of `len` bytes.
        check(
            unsafe { libc::bind(fd, (&addr as *const libc::sockaddr_storage).cast(), len) },
            "bind",
        )?;
        let index = ifindex(iface);
        match group {
            IpAddr::V4(g) => {
                let req = libc::ip_mreqn {
                    imr_multiaddr: libc::in_addr {
                        s_addr: u32::from(g).to_be(),
                    },
                    imr_address: libc::in_addr { s_addr: 0 },
                    imr_ifindex: index as i32,
                };
                // SAFETY: a live ip_mreqn and its size.
                check(
                    unsafe {
                        libc::setsockopt(
                            fd,
                            libc::IPPROTO_IP,
                            libc::IP_ADD_MEMBERSHIP,
                            (&req as *const libc::ip_mreqn).cast(),
                            mem::size_of::<libc::ip_mreqn>() as u32,
                        )
                    },
                    "IP_ADD_MEMBERSHIP",
                )?;
            }
            IpAddr::V6(g) => {
                let req = libc::ipv6_mreq {
                    ipv6mr_multiaddr: libc::in6_addr {
                        s6_addr: g.octets(),
                    },
                    ipv6mr_interface: index,
                };
                // SAFETY: a live ipv6_mreq and its size.
                check(
                    unsafe {
                        libc::setsockopt(
                            fd,
                            libc::IPPROTO_IPV6,
                            libc::IPV6_ADD_MEMBERSHIP,
                            (&req as *const libc::ipv6_mreq).cast(),
                            mem::size_of::<libc::ipv6_mreq>() as u32,
                        )
                    },
                    "IPV6_ADD_MEMBERSHIP",
                )?;
            }
        }
        if kind == RecvKind::GroMmsg {
            set_int(fd, libc::SOL_UDP, libc::UDP_GRO, 1, "UDP_GRO")?;
        }
        Ok(Receiver { fd, kind })
    }

    /// Counts datagrams until `expect` arrived or none came for `idle`. Returns the count
    /// and the time from the first to the last.
    pub fn count(&self, expect: u64, idle: Duration) -> (u64, Duration) {
        let (slots, slot) = match self.kind {
            RecvKind::Mmsg => (64usize, 2048usize),
            RecvKind::GroMmsg => (16, 65536),
        };
        let mut buf = vec![0u8; slots * slot];
        // SAFETY: plain old data.
        let mut iovs: Vec<libc::iovec> = vec![unsafe { mem::zeroed() }; slots];
        let mut hdrs: Vec<libc::mmsghdr> = vec![unsafe { mem::zeroed() }; slots];
        let mut ctrl = vec![[0u64; 8]; slots];
        let mut total = 0u64;
        let (mut first, mut last) = (None, Instant::now());
        while total < expect {
            let mut pfd = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one live pollfd.
            let ready = unsafe { libc::poll(&mut pfd, 1, idle.as_millis() as i32) };
            if ready <= 0 {
                break;
            }
            for i in 0..slots {
                iovs[i] = libc::iovec {
                    iov_base: buf[i * slot..].as_mut_ptr().cast(),
                    iov_len: slot,
                };
                let h = &mut hdrs[i].msg_hdr;
                h.msg_name = std::ptr::null_mut();
                h.msg_namelen = 0;
                h.msg_iov = &mut iovs[i];
                h.msg_iovlen = 1;
                h.msg_control = ctrl[i].as_mut_ptr().cast();
                h.msg_controllen = mem::size_of::<[u64; 8]>();
                h.msg_flags = 0;
            }
            // SAFETY: the headers point into live buffers.
            let n = unsafe {
                libc::recvmmsg(
                    self.fd,
                    hdrs.as_mut_ptr(),
                    slots as u32,
                    libc::MSG_DONTWAIT,
                    std::ptr::null_mut(),
                )
            };
            if n <= 0 {
                continue;
            }
            let now = Instant::now();
            first.get_or_insert(now);
            last = now;
            for h in &hdrs[..n as usize] {
                let len = h.msg_len as usize;
                let mut gso = 0usize;
                // SAFETY: walking the control messages the kernel wrote into our buffer.
                unsafe {
                    let mut c = libc::CMSG_FIRSTHDR(&h.msg_hdr);
                    while !c.is_null() {
                        if (*c).cmsg_level == libc::SOL_UDP && (*c).cmsg_type == libc::UDP_GRO {
                            gso = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast::<libc::c_int>())
                                as usize;
                        }
                        c = libc::CMSG_NXTHDR(&h.msg_hdr, c);
                    }
                }
                total += if gso > 0 { len.div_ceil(gso) as u64 } else { 1 };
            }
        }
        (total, first.map_or(Duration::ZERO, |f| last - f))
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        // SAFETY: closing our own descriptor once.
        unsafe { libc::close(self.fd) };
    }
}
