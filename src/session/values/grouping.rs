//! Variables laid out as Python users know them from debugpy: dunder names under "special
//! variables" and functions under "function variables", groups the editor shows collapsed, plus
//! presentation hints (methods, classes, private names). Groups are built from what the adapter
//! already holds, so opening one never costs a round trip.

use dap_types::{
    VariablePresentationHint, VariablePresentationHintAttributes, VariablePresentationHintKind,
    VariablePresentationHintVisibility,
};

use crate::wire::model::{Child, Obj, FLAG_SIDE_EFFECTS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Group {
    Special,
    Functions,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Special => "special variables",
            Group::Functions => "function variables",
        }
    }

    /// The group a variable belongs to, or `None` for the ones shown directly.
    pub fn of(name: &str, obj: &Obj) -> Option<Group> {
        if is_dunder(name) {
            Some(Group::Special)
        } else if is_function(&obj.type_name) {
            Some(Group::Functions)
        } else {
            None
        }
    }
}

/// What one level of variables shows: the groups that have members (in a fixed order), then
/// the remaining variables in ptvsd's order.
pub struct Layout {
    pub groups: Vec<(Group, usize)>,
    pub plain: Vec<Child>,
}

pub fn layout(children: &[Child]) -> Layout {
    let mut groups = Vec::new();
    for group in [Group::Special, Group::Functions] {
        let members = children.iter().filter(|child| Group::of(&child.name, &child.obj) == Some(group)).count();
        if members > 0 {
            groups.push((group, members));
        }
    }
    let plain = children.iter().filter(|child| Group::of(&child.name, &child.obj).is_none()).cloned().collect();
    Layout { groups, plain }
}

/// How many rows a level shows: its groups that have members plus the variables outside them.
pub fn row_count<'a>(variables: impl Iterator<Item = (&'a str, &'a Obj)>) -> usize {
    let mut groups = Vec::new();
    let mut plain = 0;
    for (name, obj) in variables {
        match Group::of(name, obj) {
            Some(group) if !groups.contains(&group) => groups.push(group),
            Some(_) => {}
            None => plain += 1,
        }
    }
    groups.len() + plain
}

/// The members of one group, in ptvsd's order.
pub fn members(children: &[Child], group: Group) -> Vec<Child> {
    children.iter().filter(|child| Group::of(&child.name, &child.obj) == Some(group)).cloned().collect()
}

/// The hint for a variable: its kind from its type, private for `_name`, lazy for values
/// whose evaluation calls code (ptvsd's SideEffects flag), fetched only when the user asks.
pub fn hint(name: &str, obj: &Obj) -> Option<VariablePresentationHint> {
    let lazy = obj.flags & FLAG_SIDE_EFFECTS != 0;
    let kind = if lazy || is_function(&obj.type_name) {
        Some(VariablePresentationHintKind::Method)
    } else if matches!(obj.type_name.as_str(), "type" | "classobj") {
        Some(VariablePresentationHintKind::Class)
    } else {
        None
    };
    let visibility = (name.starts_with('_') && !is_dunder(name)).then_some(VariablePresentationHintVisibility::Private);
    if kind.is_none() && visibility.is_none() && !lazy {
        return None;
    }
    Some(VariablePresentationHint {
        kind,
        attributes: lazy.then(|| vec![VariablePresentationHintAttributes::HasSideEffects]),
        visibility,
        lazy: lazy.then_some(true),
    })
}

/// The hint of a group's own row: a synthetic node, not a value of the program.
pub fn group_hint() -> VariablePresentationHint {
    VariablePresentationHint {
        kind: Some(VariablePresentationHintKind::Virtual),
        attributes: None,
        visibility: None,
        lazy: None,
    }
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

/// Type names of callables as ptvsd reports them (Python 2 and 3, C and Python code).
fn is_function(type_name: &str) -> bool {
    matches!(
        type_name,
        "function"
            | "builtin_function_or_method"
            | "method"
            | "instancemethod"
            | "method-wrapper"
            | "method_descriptor"
            | "wrapper_descriptor"
            | "classmethod_descriptor"
            | "cython_function_or_method"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child(name: &str, type_name: &str) -> Child {
        Child {
            name: name.to_string(),
            expression: Some(name.to_string()),
            obj: Obj {
                repr: Some(String::new()),
                hex_repr: None,
                type_name: type_name.to_string(),
                length: 0,
                flags: 0,
            },
        }
    }

    #[test]
    fn dunders_and_functions_are_grouped_the_rest_stays_in_order() {
        let children = [
            child("__name__", "str"),
            child("total", "int"),
            child("helper", "function"),
            child("__init__", "method-wrapper"),
            child("_cache", "dict"),
        ];
        let layout = layout(&children);
        assert_eq!(layout.groups, vec![(Group::Special, 2), (Group::Functions, 1)]);
        let plain: Vec<_> = layout.plain.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(plain, ["total", "_cache"]);
        assert_eq!(row_count(children.iter().map(|c| (c.name.as_str(), &c.obj))), 4);
        let special: Vec<_> = members(&children, Group::Special).into_iter().map(|c| c.name).collect();
        assert_eq!(special, ["__name__", "__init__"]);
    }

    #[test]
    fn a_level_without_dunders_or_functions_has_no_groups() {
        let layout = layout(&[child("[0]", "int"), child("[1]", "int")]);
        assert!(layout.groups.is_empty());
        assert_eq!(layout.plain.len(), 2);
    }

    #[test]
    fn hints_say_kind_and_visibility() {
        let hint_of = |name: &str, type_name: &str| hint(name, &child(name, type_name).obj);
        assert_eq!(hint_of("helper", "function").and_then(|h| h.kind), Some(VariablePresentationHintKind::Method));
        assert_eq!(hint_of("Model", "type").and_then(|h| h.kind), Some(VariablePresentationHintKind::Class));
        assert_eq!(
            hint_of("_cache", "dict").and_then(|h| h.visibility),
            Some(VariablePresentationHintVisibility::Private)
        );
        assert!(hint_of("__name__", "str").is_none());
        assert!(hint_of("total", "int").is_none());
    }
}
