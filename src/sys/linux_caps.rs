//! CAP_NET_RAW held as narrowly as it can be: permitted but not effective while mcast runs,
//! effective only around opening a packet socket, and given up for good once the captures a
//! command needs are open (capget/capset: neither nix nor socket2 wraps them).

use std::io;

/// _LINUX_CAPABILITY_VERSION_3: 64-bit sets, as two 32-bit words.
const VERSION_3: u32 = 0x2008_0522;
/// CAP_NET_RAW's bit, in the first word.
const NET_RAW: u32 = 1 << 13;

#[repr(C)]
struct Header {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Sets {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

fn get() -> io::Result<[Sets; 2]> {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    let mut sets = [Sets::default(); 2];
    // SAFETY: the header is a valid __user_cap_header_struct for version 3, and `sets` the
    // two __user_cap_data_struct the kernel writes for it.
    let rc = unsafe { libc::syscall(libc::SYS_capget, &raw mut header, sets.as_mut_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sets)
}

fn set(sets: &[Sets; 2]) -> io::Result<()> {
    let mut header = Header {
        version: VERSION_3,
        pid: 0,
    };
    // SAFETY: as in `get`; the kernel only reads `sets`.
    let rc = unsafe { libc::syscall(libc::SYS_capset, &raw mut header, sets.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Makes CAP_NET_RAW effective (when permitted) or not, leaving the permitted set alone.
pub fn net_raw_effective(on: bool) -> io::Result<()> {
    let mut sets = get()?;
    let want = if on {
        sets[0].effective | (sets[0].permitted & NET_RAW)
    } else {
        sets[0].effective & !NET_RAW
    };
    if want == sets[0].effective {
        return Ok(());
    }
    sets[0].effective = want;
    set(&sets)
}

/// Gives CAP_NET_RAW up: neither effective nor permitted, so it cannot be raised again.
pub fn net_raw_relinquish() -> io::Result<()> {
    let mut sets = get()?;
    if (sets[0].effective | sets[0].permitted | sets[0].inheritable) & NET_RAW == 0 {
        return Ok(());
    }
    sets[0].effective &= !NET_RAW;
    sets[0].permitted &= !NET_RAW;
    sets[0].inheritable &= !NET_RAW;
    set(&sets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sets_read_back_as_the_kernel_reports_them() {
        // /proc/self/status shows the same words, in hex; a test process may hold anything.
        let sets = get().unwrap();
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let word = |key: &str| {
            let line = status.lines().find(|l| l.starts_with(key)).unwrap();
            u64::from_str_radix(line[key.len()..].trim(), 16).unwrap()
        };
        assert_eq!(word("CapEff:") as u32, sets[0].effective);
        assert_eq!(word("CapPrm:") as u32, sets[0].permitted);
        assert_eq!((word("CapPrm:") >> 32) as u32, sets[1].permitted);
    }
}
