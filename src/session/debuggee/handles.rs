//! The ids the editor holds during one stop: frame ids and variable references. They are
//! valid until the program resumes, when every one of them is forgotten.

use std::collections::HashMap;

use crate::session::values::grouping::Group;
use crate::wire::model::{Child, FrameKind, Tid};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FrameRef {
    pub tid: Tid,
    pub index: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum VariableSource {
    /// The variables of a frame, straight from the `THRF` cache.
    FrameLocals(FrameRef),
    /// The children of an expression, enumerated by the debuggee (`chld`).
    /// `indexed`: the length of a list or tuple shown in pages (`expression[start:end]`).
    Children { frame: FrameRef, kind: FrameKind, expression: String, indexed: Option<i64> },
    /// One group ("special variables", ...) of the variables listed under `parent`.
    Group { frame: FrameRef, kind: FrameKind, parent: u64, group: Group },
}

impl VariableSource {
    pub fn frame(&self) -> &FrameRef {
        match self {
            VariableSource::FrameLocals(frame)
            | VariableSource::Children { frame, .. }
            | VariableSource::Group { frame, .. } => frame,
        }
    }
}

#[derive(Debug, Default)]
pub struct Handles {
    frames: Vec<FrameRef>,
    frame_ids: HashMap<FrameRef, u64>,
    variables: Vec<VariableSource>,
    variable_ids: HashMap<VariableSource, u64>,
    /// The expression of each child shown under a reference, for setVariable.
    child_expressions: HashMap<(u64, String), String>,
    /// Blocks of a paged list fetched ahead: the reference, the first index, the children.
    pages: HashMap<u64, (usize, Vec<Child>)>,
    /// Everything enumerated under a reference, for the groups shown under it.
    listed: HashMap<u64, Vec<Child>>,
}

impl Handles {
    pub fn frame_id(&mut self, frame: FrameRef) -> u64 {
        intern(&mut self.frames, &mut self.frame_ids, frame)
    }

    pub fn frame(&self, id: u64) -> Option<&FrameRef> {
        lookup(&self.frames, id)
    }

    pub fn variables_reference(&mut self, source: VariableSource) -> u64 {
        intern(&mut self.variables, &mut self.variable_ids, source)
    }

    pub fn variables(&self, reference: u64) -> Option<&VariableSource> {
        lookup(&self.variables, reference)
    }

    pub fn remember_child(&mut self, reference: u64, name: &str, expression: &str) {
        self.child_expressions.insert((reference, name.to_string()), expression.to_string());
    }

    /// What to assign to for variable `name` shown under `reference`: a local's name, or the
    /// expression ptvsd gave a child.
    pub fn assignable_expression(&self, reference: u64, name: &str) -> Option<String> {
        match self.variables(reference)? {
            VariableSource::FrameLocals(_) => Some(name.to_string()),
            VariableSource::Children { .. } | VariableSource::Group { .. } => {
                self.child_expressions.get(&(reference, name.to_string())).cloned()
            }
        }
    }

    pub fn cache_page(&mut self, reference: u64, first: usize, children: Vec<Child>) {
        self.pages.insert(reference, (first, children));
    }

    /// `count` children from index `start`, if a block fetched earlier holds them all.
    pub fn cached_page(&self, reference: u64, start: usize, count: usize) -> Option<Vec<Child>> {
        let (first, children) = self.pages.get(&reference)?;
        let offset = start.checked_sub(*first)?;
        children.get(offset..offset.checked_add(count)?).map(<[Child]>::to_vec)
    }

    pub fn remember_listed(&mut self, reference: u64, children: Vec<Child>) {
        self.listed.insert(reference, children);
    }

    /// The children enumerated under `reference` earlier in this stop.
    pub fn listed(&self, reference: u64) -> Option<&[Child]> {
        self.listed.get(&reference).map(Vec::as_slice)
    }

    pub fn clear(&mut self) {
        *self = Handles::default();
    }
}

/// Ids start at 1: 0 means "no reference" in DAP.
fn intern<T: Clone + Eq + std::hash::Hash>(items: &mut Vec<T>, ids: &mut HashMap<T, u64>, item: T) -> u64 {
    if let Some(id) = ids.get(&item) {
        return *id;
    }
    items.push(item.clone());
    let id = items.len() as u64;
    ids.insert(item, id);
    id
}

fn lookup<T>(items: &[T], id: u64) -> Option<&T> {
    usize::try_from(id).ok().and_then(|id| id.checked_sub(1)).and_then(|index| items.get(index))
}
