//! Man pages from the clap definition (clap_mangen), one per command, with the sections clap
//! has no words for: a synopsis that shows every value, EXAMPLES, EXIT STATUS, FILES and
//! SEE ALSO.

use anyhow::Result;
use clap::{ArgAction, Command};

use crate::cli::help::{self, Page};

const SEE_ALSO: &str = "mcast-json(7), ip-maddress(8), tcpdump(8), ssmping(1), iperf(1)";

/// The page of the command line and of every visible command but `help`.
pub fn command_pages(cmd: &Command) -> Result<Vec<(String, Vec<u8>)>> {
    let mut pages = vec![(
        "mcast.1".to_string(),
        render(cmd.clone(), help::page("mcast"))?,
    )];
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        let name = sub.get_name();
        let page = sub
            .clone()
            .name(format!("mcast-{name}"))
            .bin_name(format!("mcast {name}"))
            .override_usage(synopsis(sub, &format!("mcast {name}")));
        pages.push((format!("mcast-{name}.1"), render(page, help::page(name))?));
    }
    Ok(pages)
}

/// The usage with every option and its value: `mcast recv [-i IFACE] [--source ADDR]...`.
fn synopsis(cmd: &Command, bin: &str) -> String {
    let mut parts = vec![bin.to_string()];
    let args = cmd.get_arguments().filter(|a| {
        !a.is_hide_set() && !matches!(a.get_action(), ArgAction::Help | ArgAction::Version)
    });
    let (positional, options): (Vec<_>, Vec<_>) = args.partition(|a| a.is_positional());
    for a in options {
        let flag = match (a.get_short(), a.get_long()) {
            (Some(s), Some(l)) => format!("-{s}|--{l}"),
            (None, Some(l)) => format!("--{l}"),
            (Some(s), None) => format!("-{s}"),
            (None, None) => continue,
        };
        let value = a
            .get_value_names()
            .and_then(|v| v.first())
            .filter(|_| a.get_action().takes_values())
            .map(|v| format!(" {v}"))
            .unwrap_or_default();
        let repeat = if matches!(a.get_action(), ArgAction::Append) {
            "..."
        } else {
            ""
        };
        parts.push(format!("[{flag}{value}]{repeat}"));
    }
    for a in positional {
        let name = a
            .get_value_names()
            .and_then(|v| v.first())
            .map_or("ARG", |v| v.as_str());
        let repeat = if matches!(a.get_action(), ArgAction::Append) {
            "..."
        } else {
            ""
        };
        parts.push(if a.is_required_set() {
            format!("<{name}>{repeat}")
        } else {
            format!("[{name}]{repeat}")
        });
    }
    parts.join(" ")
}

fn render(cmd: Command, page: Option<&Page>) -> Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    man.render_description_section(&mut out)?;
    if cmd.get_arguments().next().is_some() {
        man.render_options_section(&mut out)?;
    }
    if cmd.get_subcommands().next().is_some() {
        man.render_subcommands_section(&mut out)?;
    }
    if let Some(p) = page {
        if !p.examples.is_empty() {
            section(&mut out, "EXAMPLES");
            for (line, what) in p.examples {
                out.extend_from_slice(
                    format!(".TP\n\\fB{}\\fR\n{}\n", escape(line), escape(what)).as_bytes(),
                );
            }
        }
        if !p.notes.is_empty() {
            section(&mut out, "NOTES");
            for (i, note) in p.notes.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b".PP\n");
                }
                paragraphs(&mut out, note);
            }
        }
    }
    section(&mut out, "EXIT STATUS");
    let name = cmd
        .get_name()
        .strip_prefix("mcast-")
        .unwrap_or(cmd.get_name());
    paragraphs(&mut out, &help::exit_status(name));
    if let Some(text) = help::privileges(name) {
        section(&mut out, "PRIVILEGES");
        paragraphs(&mut out, text);
    }
    if let Some(p) = page.filter(|p| !p.files.is_empty()) {
        section(&mut out, "FILES");
        for (path, what) in p.files {
            out.extend_from_slice(
                format!(".TP\n\\fI{}\\fR\n{}\n", escape(path), escape(what)).as_bytes(),
            );
        }
    }
    section(&mut out, "SEE ALSO");
    paragraphs(&mut out, SEE_ALSO);
    Ok(out)
}

fn section(out: &mut Vec<u8>, title: &str) {
    out.extend_from_slice(format!(".SH \"{title}\"\n").as_bytes());
}

/// Text as roff paragraphs, one per blank-line-separated block.
pub fn paragraphs(out: &mut Vec<u8>, text: &str) {
    for (i, block) in text.split("\n\n").enumerate() {
        if i > 0 {
            out.extend_from_slice(b".PP\n");
        }
        let joined: Vec<&str> = block.split_whitespace().collect();
        out.extend_from_slice(escape(&joined.join(" ")).as_bytes());
        out.push(b'\n');
    }
}

/// Text made safe for a roff line: backslashes and hyphens escaped, and a line that would
/// start with a control character kept as text.
pub fn escape(s: &str) -> String {
    let body = s.replace('\\', "\\e").replace('-', "\\-");
    if body.starts_with(['.', '\'']) {
        format!("\\&{body}")
    } else {
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pages_exit_status_is_its_own_commands() {
        let pages = command_pages(&super::super::super::command_for_docs()).unwrap();
        for (name, page) in &pages {
            let text = String::from_utf8(page.clone()).unwrap();
            let status = text
                .split(".SH \"EXIT STATUS\"")
                .nth(1)
                .unwrap_or_else(|| panic!("{name}: no EXIT STATUS"));
            let status = status.split(".SH").next().unwrap();
            // mcast-recv.1 -> "mcast recv"
            let cmd = name.trim_end_matches(".1").replacen('-', " ", 1);
            assert!(
                status.contains(&cmd),
                "{name}'s EXIT STATUS does not name {cmd}: {status}"
            );
        }
        let ping = help::exit_status("ping");
        assert!(
            ping.contains("1 when a server answered on unicast only") && ping.contains("3 when")
        );
    }

    #[test]
    fn pages_name_the_command_as_typed_with_every_value() {
        let pages = command_pages(&super::super::super::command_for_docs()).unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert!(!names.contains(&"mcast-help.1"), "{names:?}");
        let recv = String::from_utf8(
            pages
                .iter()
                .find(|(n, _)| n == "mcast-recv.1")
                .unwrap()
                .1
                .clone(),
        )
        .unwrap();
        assert!(
            recv.contains("\\fBmcast recv\\fR [\\-i|\\-\\-interface IFACE] [\\-\\-source ADDR]..."),
            "{recv}"
        );
        assert!(recv.contains("<GROUP> <PORT>"), "{recv}");
        for s in ["EXAMPLES", "EXIT STATUS", "FILES", "SEE ALSO"] {
            assert!(recv.contains(&format!(".SH \"{s}\"")), "{s} missing");
        }
        assert!(recv.contains("ip\\-maddress(8)"));
    }

    #[test]
    fn the_capturing_commands_have_a_privileges_section_and_the_others_none() {
        for (file, page) in command_pages(&super::super::super::command_for_docs()).unwrap() {
            let page = String::from_utf8(page).unwrap();
            let has = page.contains(".SH \"PRIVILEGES\"");
            let captures = file == "mcast-watch.1" || file == "mcast-doctor.1";
            assert_eq!(has, captures, "{file}");
            if captures {
                assert!(page.contains("cap_net_raw+p "), "{file}");
            }
        }
    }
}
