//! Builds the bytes a v6 debuggee sends, the way ptvsd's `write_int`/`write_string`/
//! `write_object` do (§2.1, §4.1), for the decoder tests.

use crate::wire::model::Obj;

#[derive(Default)]
pub(super) struct DebuggeeBytes(Vec<u8>);

impl DebuggeeBytes {
    pub(super) fn new() -> Self {
        Self::default()
    }

    pub(super) fn raw(mut self, bytes: &[u8]) -> Self {
        self.0.extend_from_slice(bytes);
        self
    }

    pub(super) fn int(self, value: i64) -> Self {
        self.raw(&value.to_be_bytes())
    }

    /// A `'U'` string: ptvsd's encoding of a Python text string.
    pub(super) fn utf8(self, text: &str) -> Self {
        self.raw(b"U").int(text.len() as i64).raw(text.as_bytes())
    }

    /// An `'A'` string: ptvsd's encoding of a Python byte string.
    pub(super) fn byte_string(self, bytes: &[u8]) -> Self {
        self.raw(b"A").int(bytes.len() as i64).raw(bytes)
    }

    pub(super) fn none(self) -> Self {
        self.raw(b"N")
    }

    pub(super) fn optional(self, text: Option<&str>) -> Self {
        match text {
            Some(text) => self.utf8(text),
            None => self.none(),
        }
    }

    pub(super) fn obj(self, obj: &Obj) -> Self {
        self.optional(obj.repr.as_deref())
            .optional(obj.hex_repr.as_deref())
            .utf8(&obj.type_name)
            .int(obj.length)
            .int(obj.flags)
    }

    pub(super) fn build(self) -> Vec<u8> {
        self.0
    }
}

/// An int object as ptvsd describes `8` (§4.1).
pub(super) fn int_obj(value: i64) -> Obj {
    Obj {
        repr: Some(value.to_string()),
        hex_repr: Some(format!("{value:#x}")),
        type_name: "int".into(),
        length: 0,
        flags: 0,
    }
}
