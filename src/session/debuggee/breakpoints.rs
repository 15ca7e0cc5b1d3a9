//! Line breakpoints: what the editor asked for per file, what ptvsd holds, and the commands
//! that turn one into the other (§9.2, §9.7).

use std::collections::HashMap;

use crate::wire::model::{Command, Condition, ConditionKind, PassCount, PassCountKind};

/// A breakpoint as the editor wants it, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakpointSpec {
    pub line: i64,
    pub condition: Condition,
    pub pass_count: PassCount,
    /// A logpoint's message: hits print it instead of stopping.
    pub log_message: Option<String>,
}

impl BreakpointSpec {
    pub fn from_dap(
        line: i64,
        condition: Option<&str>,
        hit_condition: Option<&str>,
        log_message: Option<&str>,
    ) -> Result<Self, String> {
        let condition = match condition.map(str::trim).filter(|c| !c.is_empty()) {
            Some(expression) => Condition { kind: ConditionKind::WhenTrue, expression: expression.to_string() },
            None => Condition::always(),
        };
        let pass_count = match hit_condition.map(str::trim).filter(|c| !c.is_empty()) {
            Some(text) => parse_hit_condition(text)?,
            None => PassCount::always(),
        };
        let log_message = log_message.filter(|m| !m.is_empty()).map(str::to_string);
        Ok(BreakpointSpec { line, condition, pass_count, log_message })
    }
}

/// `N`/`==N` → on the N-th hit; `>=N`, `>N` → from then on; `%N` → every N-th (§9.7).
fn parse_hit_condition(text: &str) -> Result<PassCount, String> {
    let invalid = || format!("invalid hit condition '{text}': use N, ==N, >=N, >N or %N with a positive whole number");
    let (kind, number, offset) = if let Some(rest) = text.strip_prefix(">=") {
        (PassCountKind::WhenEqualOrGreater, rest, 0)
    } else if let Some(rest) = text.strip_prefix("==") {
        (PassCountKind::WhenEqual, rest, 0)
    } else if let Some(rest) = text.strip_prefix('>') {
        (PassCountKind::WhenEqualOrGreater, rest, 1)
    } else if let Some(rest) = text.strip_prefix('%') {
        (PassCountKind::Every, rest, 0)
    } else {
        (PassCountKind::WhenEqual, text, 0)
    };
    let count: i64 = number.trim().parse().map_err(|_| invalid())?;
    // "Every 0" raises inside ptvsd's trace function and breaks the thread's tracing (§9.7).
    if count <= 0 && !(kind == PassCountKind::WhenEqualOrGreater && offset == 1 && count == 0) {
        return Err(invalid());
    }
    Ok(PassCount { kind, count: count + offset })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindState {
    /// Sent; ptvsd has not answered yet.
    Unconfirmed,
    /// `BRKF`: no loaded module matched yet; it may still bind or hit (§9.7).
    Pending,
    /// `BRKS`, or it has been hit.
    Bound,
    /// A Django template breakpoint: ptvsd never says whether it bound (§9.12.1); the first
    /// hit confirms it.
    Template,
    /// A template breakpoint that has been hit.
    TemplateHit,
}

impl BindState {
    pub fn is_template(self) -> bool {
        matches!(self, BindState::Template | BindState::TemplateHit)
    }
}

/// Django template files, by extension: their breakpoints go to the template engine hook.
pub fn is_template(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".html", ".htm", ".djhtml", ".django"].iter().any(|extension| lower.ends_with(extension))
}

#[derive(Debug, Clone)]
pub struct Installed {
    /// ptvsd's id: unique across sessions.
    pub id: i64,
    /// The editor's id: small (DAP ids are 32-bit).
    pub dap_id: u64,
    pub spec: BreakpointSpec,
    pub state: BindState,
}

/// The editor's view of one requested breakpoint.
#[derive(Debug, Clone)]
pub enum Outcome {
    Installed { id: i64 },
    Rejected { message: String },
}

#[derive(Debug)]
pub struct Breakpoints {
    next_id: i64,
    next_dap_id: u64,
    by_file: HashMap<String, Vec<Installed>>,
}

impl Default for Breakpoints {
    fn default() -> Self {
        Self::new()
    }
}

impl Breakpoints {
    /// Ids start from the clock: a debuggee remembers ids across sessions (§9.2), so a new
    /// adapter must not reuse an earlier one's. Microseconds stay below 2^53 for editors.
    pub fn new() -> Self {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Breakpoints {
            next_id: i64::try_from(now.as_micros() % (1 << 52)).unwrap_or(1) + 1,
            next_dap_id: 1,
            by_file: HashMap::new(),
        }
    }

    /// Replaces the breakpoints of `file` (a remote path) and returns the commands to send and
    /// one outcome per requested breakpoint, in order.
    pub fn set_for_file(
        &mut self,
        file: &str,
        requested: Vec<Result<BreakpointSpec, String>>,
    ) -> (Vec<Command>, Vec<Outcome>) {
        let mut previous = self.by_file.remove(file).unwrap_or_default();
        let mut kept: Vec<Installed> = Vec::new();
        let mut commands = Vec::new();
        let mut outcomes = Vec::new();
        for request in requested {
            let template = is_template(file);
            let spec = match request {
                Ok(spec)
                    if template
                        && (spec.condition != Condition::always()
                            || spec.pass_count != PassCount::always()
                            || spec.log_message.is_some()) =>
                {
                    outcomes.push(Outcome::Rejected {
                        message: "Django template breakpoints cannot have conditions, hit counts or log messages (ptvsd has none for them)".to_string(),
                    });
                    continue;
                }
                Ok(spec) => spec,
                Err(message) => {
                    outcomes.push(Outcome::Rejected { message });
                    continue;
                }
            };
            // Never two ptvsd breakpoints on one line: only the last would report (§9.2).
            if let Some(existing) = kept.iter().find(|bp| bp.spec.line == spec.line) {
                outcomes.push(Outcome::Installed { id: existing.id });
                continue;
            }
            let installed = match previous.iter().position(|bp| bp.spec.line == spec.line) {
                Some(index) => {
                    let mut bp = previous.swap_remove(index);
                    if bp.spec.condition != spec.condition {
                        commands.push(Command::SetBreakpointCondition { id: bp.id, condition: spec.condition.clone() });
                    }
                    if bp.spec.pass_count != spec.pass_count {
                        commands.push(Command::SetBreakpointPassCount { id: bp.id, pass_count: spec.pass_count });
                    }
                    bp.spec = spec;
                    bp
                }
                None => {
                    let id = self.next_id;
                    self.next_id += 1;
                    let state = if template {
                        commands.push(Command::SetDjangoBreakpoint { id, line: spec.line, file: file.to_string() });
                        BindState::Template
                    } else {
                        commands.push(Command::SetBreakpoint {
                            id,
                            line: spec.line,
                            file: file.to_string(),
                            condition: spec.condition.clone(),
                            pass_count: spec.pass_count,
                        });
                        BindState::Unconfirmed
                    };
                    let dap_id = self.next_dap_id;
                    self.next_dap_id += 1;
                    Installed { id, dap_id, spec, state }
                }
            };
            outcomes.push(Outcome::Installed { id: installed.id });
            kept.push(installed);
        }
        for removed in previous {
            commands.extend(removal_commands(file, &removed));
        }
        if !kept.is_empty() {
            self.by_file.insert(file.to_string(), kept);
        }
        (commands, outcomes)
    }

    pub fn get(&self, id: i64) -> Option<&Installed> {
        self.by_file.values().flatten().find(|bp| bp.id == id)
    }

    /// Updates the bind state; returns the breakpoint when its state changed.
    pub fn set_state(&mut self, id: i64, state: BindState) -> Option<&Installed> {
        let bp = self.by_file.values_mut().flatten().find(|bp| bp.id == id)?;
        if bp.state == state {
            return None;
        }
        bp.state = state;
        Some(bp)
    }

    /// Before detaching: ptvsd keeps pending and template breakpoints across sessions and would
    /// hit them with old ids, so neutralise every pending one and remove the template ones (§9.7).
    pub fn before_detach(&self) -> Vec<Command> {
        self.by_file
            .iter()
            .flat_map(|(file, bps)| bps.iter().map(move |bp| (file, bp)))
            .filter_map(|(file, bp)| match bp.state {
                BindState::Bound => None,
                BindState::Template | BindState::TemplateHit => {
                    Some(Command::RemoveDjangoBreakpoint { id: bp.id, line: bp.spec.line, file: file.clone() })
                }
                BindState::Unconfirmed | BindState::Pending => {
                    Some(Command::SetBreakpointCondition { id: bp.id, condition: never() })
                }
            })
            .collect()
    }
}

fn never() -> Condition {
    Condition { kind: ConditionKind::WhenTrue, expression: "False".to_string() }
}

/// `brkr` does not remove a pending breakpoint, so make it never hit first (§9.7).
fn removal_commands(file: &str, bp: &Installed) -> Vec<Command> {
    match bp.state {
        BindState::Template | BindState::TemplateHit => {
            vec![Command::RemoveDjangoBreakpoint { id: bp.id, line: bp.spec.line, file: file.to_string() }]
        }
        BindState::Bound => vec![Command::RemoveBreakpoint { id: bp.id, line: bp.spec.line }],
        BindState::Unconfirmed | BindState::Pending => vec![
            Command::SetBreakpointCondition { id: bp.id, condition: never() },
            Command::RemoveBreakpoint { id: bp.id, line: bp.spec.line },
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(line: i64) -> Result<BreakpointSpec, String> {
        BreakpointSpec::from_dap(line, None, None, None)
    }

    #[test]
    fn template_breakpoints_use_the_django_commands() {
        let mut bps = Breakpoints::new();
        let (commands, _) = bps.set_for_file("/srv/t/page.html", vec![spec(5)]);
        let id = match commands.as_slice() {
            [Command::SetDjangoBreakpoint { id, line: 5, file }] if file == "/srv/t/page.html" => *id,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            bps.before_detach(),
            vec![Command::RemoveDjangoBreakpoint { id, line: 5, file: "/srv/t/page.html".into() }]
        );
        let (commands, _) = bps.set_for_file("/srv/t/page.html", vec![]);
        assert_eq!(commands, vec![Command::RemoveDjangoBreakpoint { id, line: 5, file: "/srv/t/page.html".into() }]);
        let (commands, outcomes) =
            bps.set_for_file("/srv/t/page.html", vec![BreakpointSpec::from_dap(5, Some("x"), None, None)]);
        assert!(commands.is_empty() && matches!(outcomes[0], Outcome::Rejected { .. }));
    }

    #[test]
    fn hit_conditions() {
        let pc = |t| parse_hit_condition(t).map(|p| (p.kind, p.count));
        assert_eq!(pc("3"), Ok((PassCountKind::WhenEqual, 3)));
        assert_eq!(pc("==2"), Ok((PassCountKind::WhenEqual, 2)));
        assert_eq!(pc(">=4"), Ok((PassCountKind::WhenEqualOrGreater, 4)));
        assert_eq!(pc(">4"), Ok((PassCountKind::WhenEqualOrGreater, 5)));
        assert_eq!(pc("%2"), Ok((PassCountKind::Every, 2)));
        assert!(pc("%0").is_err());
        assert!(pc("<3").is_err());
        assert!(pc("abc").is_err());
    }

    #[test]
    fn diffing_adds_keeps_and_removes() {
        let mut bps = Breakpoints::new();
        let (commands, outcomes) = bps.set_for_file("/a.py", vec![spec(3), spec(5), spec(5)]);
        assert_eq!(commands.len(), 2, "one brkp per distinct line");
        let ids: Vec<i64> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Installed { id } => *id,
                _ => 0,
            })
            .collect();
        assert_eq!(ids[1], ids[2]);
        bps.set_state(ids[0], BindState::Bound);
        bps.set_state(ids[1], BindState::Pending);

        let (commands, _) = bps.set_for_file("/a.py", vec![spec(3)]);
        // Line 5 was pending: neutralised, then removed with its creation line.
        assert_eq!(
            commands,
            vec![
                Command::SetBreakpointCondition { id: ids[1], condition: never() },
                Command::RemoveBreakpoint { id: ids[1], line: 5 },
            ]
        );
        let (commands, _) = bps.set_for_file("/a.py", vec![BreakpointSpec::from_dap(3, Some("x > 1"), None, None)]);
        assert!(matches!(&commands[..], [Command::SetBreakpointCondition { id, .. }] if *id == ids[0]));
        let (commands, _) = bps.set_for_file("/a.py", vec![]);
        assert_eq!(commands, vec![Command::RemoveBreakpoint { id: ids[0], line: 3 }]);
    }
}
