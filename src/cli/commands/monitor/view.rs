//! The live view (feature `tui`): when stdout is a terminal, a row per group (trouble first),
//! a line of totals and the alarm log, redrawn four times a second on the alternate screen;
//! arrows and page keys scroll, `q` (or Esc, or Ctrl-C) ends the run as a signal would.

use std::collections::VecDeque;
use std::io::{self, Stdout};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};

use mcast::monitor::{Monitor, State};

use super::table::in_trouble_order;
use crate::cli::output::escape::escape;

/// Lines of the alarm log kept.
const LOG: usize = 200;
/// How often the view is redrawn without a key.
const REDRAW: Duration = Duration::from_millis(250);

/// What the user asked of the view.
pub enum Asked {
    /// Go on.
    Nothing,
    /// End the run.
    Quit,
}

/// The terminal in the view's hands: raw mode and the alternate screen, given back on drop
/// (a failure or a panic included).
pub struct View {
    terminal: Terminal<CrosstermBackend<Stdout>>,
    log: VecDeque<String>,
    scroll: usize,
    drawn: Option<Instant>,
    title: String,
}

impl View {
    /// Takes the terminal; `title` heads the table.
    pub fn open(title: String) -> io::Result<View> {
        enable_raw_mode()?;
        let mut out = io::stdout();
        if let Err(e) = execute!(out, EnterAlternateScreen) {
            let _ = disable_raw_mode();
            return Err(e);
        }
        let terminal = Terminal::new(CrosstermBackend::new(out))?;
        Ok(View {
            terminal,
            log: VecDeque::new(),
            scroll: 0,
            drawn: None,
            title,
        })
    }

    /// Adds a line to the alarm log.
    pub fn log(&mut self, line: String) {
        if self.log.len() == LOG {
            self.log.pop_front();
        }
        self.log.push_back(escape(line.as_bytes()).into_owned());
        self.drawn = None;
    }

    /// Reads the keys pressed, without waiting; redraws when due or asked.
    pub fn turn(&mut self, m: &Monitor, now_ns: u64) -> io::Result<Asked> {
        while event::poll(Duration::ZERO)? {
            let Event::Key(k) = event::read()? else {
                self.drawn = None;
                continue;
            };
            if k.kind != KeyEventKind::Press {
                continue;
            }
            let page = self.terminal.size()?.height.saturating_sub(14).max(1) as usize;
            match k.code {
                KeyCode::Char('q') | KeyCode::Esc => return Ok(Asked::Quit),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    return Ok(Asked::Quit);
                }
                KeyCode::Down | KeyCode::Char('j') => self.scroll += 1,
                KeyCode::Up | KeyCode::Char('k') => self.scroll = self.scroll.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => self.scroll += page,
                KeyCode::PageUp => self.scroll = self.scroll.saturating_sub(page),
                KeyCode::Home => self.scroll = 0,
                _ => {}
            }
            self.drawn = None;
        }
        if self.drawn.is_none_or(|d| d.elapsed() >= REDRAW) {
            self.draw(m, now_ns)?;
            self.drawn = Some(Instant::now());
        }
        Ok(Asked::Nothing)
    }

    fn draw(&mut self, m: &Monitor, now_ns: u64) -> io::Result<()> {
        let rows = in_trouble_order(m);
        self.scroll = self.scroll.min(rows.len().saturating_sub(1));
        let (scroll, title, log) = (self.scroll, &self.title, &self.log);
        self.terminal.draw(|f| {
            let [table_area, totals_area, log_area] = Layout::vertical([
                Constraint::Min(5),
                Constraint::Length(1),
                Constraint::Length(9),
            ])
            .areas(f.area());
            let visible = table_area.height.saturating_sub(3) as usize;
            let dash = || "-".to_string();
            let (mut rate, mut bits, mut troubled) = (0.0, 0.0, 0usize);
            for w in &rows {
                rate += w.window.map_or(0.0, |x| x.datagrams_per_s);
                bits += w.window.map_or(0.0, |x| x.bits_per_s);
                troubled += usize::from(w.alarms.standing().next().is_some());
            }
            let body = rows.iter().skip(scroll).take(visible).map(|w| {
                let state = w.state();
                let colour = match state {
                    State::NeverStarted | State::Stalled => Color::Red,
                    State::Losing => Color::Yellow,
                    State::Waiting => Color::Gray,
                    State::Flowing => Color::Green,
                };
                let last = w.last_ns.map_or_else(
                    || "never".to_string(),
                    |l| format!("{:.1}s ago", now_ns.saturating_sub(l) as f64 / 1e9),
                );
                let t = &w.target;
                Row::new(vec![
                    t.name
                        .as_deref()
                        .map_or_else(dash, |n| escape(n.as_bytes()).into_owned()),
                    t.group.to_string(),
                    t.source.map_or_else(|| "any".to_string(), |s| s.to_string()),
                    state.name().to_string(),
                    w.window
                        .map_or_else(dash, |x| format!("{:.1}", x.datagrams_per_s)),
                    w.window
                        .map_or_else(dash, |x| format!("{:.2}", x.bits_per_s / 1e6)),
                    w.lost().map_or_else(dash, |v| v.to_string()),
                    w.cc_errors().map_or_else(dash, |v| v.to_string()),
                    w.jitter_ms().map_or_else(dash, |j| format!("{j:.2}ms")),
                    last,
                ])
                .style(Style::default().fg(colour))
            });
            let header = Row::new(vec![
                "NAME", "GROUP", "SOURCE", "STATE", "DGRAM/S", "MBIT/S", "LOST", "CC", "JITTER",
                "LAST",
            ])
            .style(Style::default().add_modifier(Modifier::BOLD));
            let widths = [
                Constraint::Min(12),
                Constraint::Length(18),
                Constraint::Length(16),
                Constraint::Length(13),
                Constraint::Length(8),
                Constraint::Length(7),
                Constraint::Length(7),
                Constraint::Length(6),
                Constraint::Length(9),
                Constraint::Length(10),
            ];
            let shown = format!(
                " {title} · rows {}-{} of {} · ↑↓ PgUp PgDn scroll, q quits ",
                (scroll + 1).min(rows.len()),
                (scroll + visible).min(rows.len()),
                rows.len()
            );
            let table = Table::new(body, widths)
                .header(header)
                .block(Block::default().borders(Borders::ALL).title(shown));
            f.render_widget(table, table_area);
            let totals = format!(
                " {} groups, {troubled} in trouble; {rate:.1} datagrams/s, {:.2} Mbit/s; alarms raised {}",
                rows.len(),
                bits / 1e6,
                m.raised()
            );
            f.render_widget(Paragraph::new(totals), totals_area);
            let inner = log_area.height.saturating_sub(2) as usize;
            let lines: Vec<Line> = log
                .iter()
                .skip(log.len().saturating_sub(inner))
                .map(|l| Line::from(l.as_str()))
                .collect();
            let log_block = Block::default().borders(Borders::ALL).title(" alarms ");
            f.render_widget(Paragraph::new(lines).block(log_block), log_area);
        })?;
        Ok(())
    }
}

impl Drop for View {
    fn drop(&mut self) {
        let _ = disable_raw_mode();
        let _ = execute!(self.terminal.backend_mut(), LeaveAlternateScreen);
        let _ = self.terminal.show_cursor();
    }
}
