//! The cost floor of a reflector on this machine: a process that only echoes, written on
//! libc in the bench, sharing no code with mcast. It reads up to 32 requests a call
//! (recvmmsg) and sends each back to its client and to the ssmping group at the client's
//! port, all in one sendmmsg; no checks, no limits, no parsing.

use std::mem;

/// The flag that makes the bench binary this reflector, in a process of its own.
pub const FLAG: &str = "--echo-reflector";

const BATCH: usize = 32;
const GROUP: [u8; 4] = [232, 43, 211, 234];

fn check(rc: libc::c_int, what: &str) -> libc::c_int {
    if rc < 0 {
        eprintln!(
            "bench: echo reflector: {what}: {}",
            std::io::Error::last_os_error()
        );
        std::process::exit(1);
    }
    rc
}

/// Runs until killed, on UDP `port` of every address.
pub fn run(port: u16) -> ! {
    // SAFETY: plain socket calls on a descriptor this process owns; every struct handed to
    // the kernel is plain old data that outlives the call.
    unsafe {
        let fd = check(libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0), "socket");
        let mut at: libc::sockaddr_in = mem::zeroed();
        at.sin_family = libc::AF_INET as libc::sa_family_t;
        at.sin_port = port.to_be();
        check(
            libc::bind(
                fd,
                (&at as *const libc::sockaddr_in).cast(),
                mem::size_of::<libc::sockaddr_in>() as u32,
            ),
            "bind",
        );
        let mut bufs = vec![[0u8; 2048]; BATCH];
        let mut names: [libc::sockaddr_in; BATCH] = mem::zeroed();
        let mut groups: [libc::sockaddr_in; BATCH] = mem::zeroed();
        let mut iovs: [libc::iovec; BATCH] = mem::zeroed();
        let mut ins: [libc::mmsghdr; BATCH] = mem::zeroed();
        let mut outs: [libc::mmsghdr; 2 * BATCH] = mem::zeroed();
        loop {
            for i in 0..BATCH {
                iovs[i] = libc::iovec {
                    iov_base: bufs[i].as_mut_ptr().cast(),
                    iov_len: 2048,
                };
                let h = &mut ins[i].msg_hdr;
                h.msg_name = (&mut names[i] as *mut libc::sockaddr_in).cast();
                h.msg_namelen = mem::size_of::<libc::sockaddr_in>() as u32;
                h.msg_iov = &mut iovs[i];
                h.msg_iovlen = 1;
            }
            let n = check(
                libc::recvmmsg(
                    fd,
                    ins.as_mut_ptr(),
                    BATCH as u32,
                    libc::MSG_WAITFORONE,
                    std::ptr::null_mut(),
                ),
                "recvmmsg",
            ) as usize;
            for i in 0..n {
                iovs[i].iov_len = ins[i].msg_len as usize;
                groups[i] = names[i];
                groups[i].sin_addr.s_addr = u32::from_be_bytes(GROUP).to_be();
                for (k, to) in [(2 * i, &mut names[i]), (2 * i + 1, &mut groups[i])] {
                    let h = &mut outs[k].msg_hdr;
                    h.msg_name = (to as *mut libc::sockaddr_in).cast();
                    h.msg_namelen = mem::size_of::<libc::sockaddr_in>() as u32;
                    h.msg_iov = &mut iovs[i];
                    h.msg_iovlen = 1;
                }
            }
            libc::sendmmsg(fd, outs.as_mut_ptr(), 2 * n as u32, 0);
        }
    }
}
