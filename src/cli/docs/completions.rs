//! Shell completion scripts from the clap definition, taught to offer interface names (not
//! file names) after -i/--interface.

use clap_complete::Shell;

/// Lists this host's interfaces at completion time (Linux, then macOS).
const BASH_INTERFACES: &str = "__mcast_interfaces() {
    ls /sys/class/net 2>/dev/null || ifconfig -l 2>/dev/null
}

";

/// The completion script for `shell`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut super::super::command_for_docs(),
        "mcast",
        &mut out,
    );
    let text = String::from_utf8_lossy(&out).into_owned();
    let text = match shell {
        Shell::Bash => {
            let files = "COMPREPLY=($(compgen -f \"${cur}\"))";
            let names = "COMPREPLY=($(compgen -W \"$(__mcast_interfaces)\" -- \"${cur}\"))";
            let mut patched = String::from(BASH_INTERFACES);
            let mut lines = text.lines().peekable();
            while let Some(line) = lines.next() {
                patched.push_str(line);
                patched.push('\n');
                let t = line.trim();
                if (t == "--interface)" || t == "-i)")
                    && let Some(next) = lines.peek()
                    && next.trim() == files
                {
                    let indent = &next[..next.len() - next.trim_start().len()];
                    patched.push_str(&format!("{indent}{names}\n"));
                    lines.next();
                }
            }
            patched
        }
        // zsh and fish know the interfaces themselves.
        Shell::Zsh => text.replace(":IFACE:_default'", ":IFACE:_net_interfaces'"),
        Shell::Fish => text
            .lines()
            .map(|l| {
                if l.contains(" -l interface ") && l.ends_with(" -r") {
                    format!("{l} -f -a \"(__fish_print_interfaces)\"\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect(),
        _ => text,
    };
    text.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_option_completes_interface_names() {
        let bash = String::from_utf8(script(Shell::Bash)).unwrap();
        let offered = bash.matches("$(__mcast_interfaces)").count();
        // -i and --interface of send, recv, join, ping, reflect, mesh, watch, doctor, groups.
        assert_eq!(offered, 18, "{bash}");
        let zsh = String::from_utf8(script(Shell::Zsh)).unwrap();
        assert!(zsh.contains(":IFACE:_net_interfaces'") && !zsh.contains(":IFACE:_default'"));
        let fish = String::from_utf8(script(Shell::Fish)).unwrap();
        assert_eq!(
            fish.matches("(__fish_print_interfaces)").count(),
            9,
            "{fish}"
        );
    }
}
