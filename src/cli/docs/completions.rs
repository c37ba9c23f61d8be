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
    let text = without_hidden(shell, &text);
    let text = match shell {
        Shell::Bash => {
            let files = "COMPREPLY=($(compgen -f \"${cur}\"))";
            let names = "COMPREPLY=($(compgen -W \"$(__mcast_interfaces)\" -- \"${cur}\"))";
            let mut patched = String::from(BASH_INTERFACES);
            let mut lines = text.lines().peekable();
            // `mcast ifaces IFACE`: its one argument is an interface.
            let mut in_ifaces = false;
            while let Some(line) = lines.next() {
                let t = line.trim();
                if t.starts_with("mcast__subcmd__") && t.ends_with(')') {
                    in_ifaces = t == "mcast__subcmd__ifaces)";
                }
                if in_ifaces && line.contains("compgen -W \"${opts}\"") {
                    patched.push_str(
                        &line.replace("\"${opts}\"", "\"${opts} $(__mcast_interfaces)\""),
                    );
                    patched.push('\n');
                    continue;
                }
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

/// The top-level commands in the order `mcast --help` lists them, hidden ones left out.
fn visible_commands() -> Vec<String> {
    let cmd = super::super::command_for_docs();
    // By display order: the help's, whatever order the pages were attached in.
    let mut visible: Vec<&clap::Command> =
        cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    visible.sort_by_key(|c| c.get_display_order());
    let mut names: Vec<String> = visible.iter().map(|c| c.get_name().to_string()).collect();
    names.push("help".into());
    names
}

/// The script without the hidden commands (`generate` is for this repository, not for
/// people), its top-level list in the help's order.
fn without_hidden(shell: Shell, text: &str) -> String {
    let hidden: Vec<String> = super::super::command_for_docs()
        .get_subcommands()
        .filter(|c| c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect();
    let commands = visible_commands();
    let mut out = String::new();
    for line in text.lines() {
        let t = line.trim_start();
        let names_hidden = |l: &str| hidden.iter().any(|h| l.contains(&format!("'{h}:")));
        let skip = match shell {
            Shell::Zsh => names_hidden(t),
            Shell::Fish => hidden.iter().any(|h| t.contains(&format!("-a \"{h}\""))),
            _ => false,
        };
        if skip {
            continue;
        }
        // bash: a list that names every command (the top level's, and `help`'s).
        let inner = t
            .strip_prefix("opts=\"")
            .and_then(|r| r.strip_suffix('"'))
            .filter(|_| shell == Shell::Bash);
        if let Some(inner) = inner {
            let words: Vec<&str> = inner.split(' ').collect();
            if commands.iter().all(|c| words.contains(&c.as_str())) {
                let indent = &line[..line.len() - t.len()];
                let mut list: Vec<&str> =
                    words.into_iter().filter(|w| w.starts_with('-')).collect();
                list.extend(commands.iter().map(String::as_str));
                out.push_str(&format!("{indent}opts=\"{}\"\n", list.join(" ")));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_interface_option_completes_interface_names() {
        let bash = String::from_utf8(script(Shell::Bash)).unwrap();
        let offered = bash.matches("$(__mcast_interfaces)").count();
        // -i and --interface of send, recv, join, ping, reflect, mesh, monitor, watch, doctor,
        // groups, and ifaces' argument (at its place and after it).
        assert_eq!(offered, 22, "{bash}");
        let zsh = String::from_utf8(script(Shell::Zsh)).unwrap();
        assert!(zsh.contains(":IFACE:_net_interfaces'") && !zsh.contains(":IFACE:_default'"));
        // The hidden command is offered by no shell.
        assert!(!zsh.contains("'generate:"), "{zsh}");
        let fish = String::from_utf8(script(Shell::Fish)).unwrap();
        assert_eq!(
            fish.matches("(__fish_print_interfaces)").count(),
            10,
            "{fish}"
        );
        assert!(!fish.contains("-a \"generate\""), "{fish}");
        assert!(!bash.contains(" generate "), "{bash}");
    }
}
