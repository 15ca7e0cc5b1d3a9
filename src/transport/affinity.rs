//! The instances of a scaled-out App Service site (docs/protocol.md §1.4.1): its front end (ARR)
//! routes every request, the debugger's WebSocket included, to the instance its `ARRAffinity`
//! cookie names, and to an instance of its own choice (setting the cookie on the answer) when
//! the cookie is missing or names no instance.
//!
//! Only values that are exactly 64 hexadecimal digits (ARR's form) are used, from the attach
//! configuration and from the network alike: nothing else ever reaches an HTTP head.

use std::fmt;

/// The cookie ARR routes by.
pub const COOKIE_NAME: &str = "ARRAffinity";
/// The length of an `ARRAffinity` value: a SHA-256 in hexadecimal.
pub const AFFINITY_LEN: usize = 64;
/// The highest instance number `instance` takes (App Service plans run at most 100 instances).
pub const MAX_INSTANCE_NUMBER: u16 = 100;
/// How much of a value the console and the `process` event show.
const SHORT_LEN: usize = 12;

/// One instance's `ARRAffinity` value.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Affinity(String);

impl Affinity {
    /// The value if it is 64 hexadecimal digits (case kept: the front end compares it as sent).
    pub fn parse(text: &str) -> Option<Affinity> {
        (text.len() == AFFINITY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Affinity(text.to_string()))
    }

    /// A value from the system's random source, for the relay's instances.
    pub fn random() -> Result<Affinity, String> {
        Ok(Affinity(crate::random::hex::<32>()?))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first digits, enough to tell instances apart in a line of text.
    pub fn short(&self) -> &str {
        &self.0[..SHORT_LEN]
    }

    /// `ARRAffinity=<value>`, for a `Cookie` header.
    pub fn cookie(&self) -> String {
        format!("{COOKIE_NAME}={}", self.0)
    }

    /// The same instance: the front end's answer may differ in case only.
    pub fn same_as(&self, other: &Affinity) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for Affinity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Affinity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Affinity({})", self.short())
    }
}

/// The `instance` attach argument: which instance to debug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instance {
    Affinity(Affinity),
    /// The number `ptvsd-dap probe --instances` printed: instances are numbered in the order of
    /// their `ARRAffinity` values, so the number holds while the same instances run.
    Number(u16),
}

impl Instance {
    pub fn parse(text: &str) -> Result<Instance, String> {
        let text = text.trim();
        if let Some(affinity) = Affinity::parse(text) {
            return Ok(Instance::Affinity(affinity));
        }
        match text.parse::<u16>() {
            Ok(number) if (1..=MAX_INSTANCE_NUMBER).contains(&number) => Ok(Instance::Number(number)),
            _ => Err(format!(
                "'instance' must be an {COOKIE_NAME} value ({AFFINITY_LEN} hexadecimal digits) or an instance number \
                 from 1 to {MAX_INSTANCE_NUMBER}, as `ptvsd-dap probe --instances` prints them"
            )),
        }
    }
}

/// Where the WebSocket landed, as the front end's answers tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Landing {
    /// The instance asked for (`instance`); `number` when it was asked for by number.
    Pinned { affinity: Affinity, number: Option<u16> },
    /// No instance was asked for: the front end chose this one.
    Chosen(Affinity),
    /// The instance asked for is gone: the front end routed the WebSocket to another one.
    Stale { asked: Affinity, landed: Affinity },
}

impl Landing {
    pub fn affinity(&self) -> &Affinity {
        match self {
            Landing::Pinned { affinity, .. } | Landing::Chosen(affinity) => affinity,
            Landing::Stale { landed, .. } => landed,
        }
    }

    /// Why an attach to a [`Landing::Stale`] instance fails; `None` for the others.
    pub fn stale_reason(&self) -> Option<String> {
        let Landing::Stale { asked, landed } = self else { return None };
        Some(instance_gone(
            asked,
            &format!("the front end routed the WebSocket to instance {landed} instead"),
            "`ptvsd-dap probe --instances` lists the instances running now",
        ))
    }
}

/// Why an attach to the `asked` instance fails: `evidence` is what the front end did, `then`
/// what the user can do or see next.
pub fn instance_gone(asked: &Affinity, evidence: &str, then: &str) -> String {
    format!(
        "the instance {asked} ('instance') no longer exists (the site was scaled in, or the instance restarted): \
         {evidence}. Nothing was attached. {then}"
    )
}

/// The `ARRAffinity` value set by one `Set-Cookie` header value, if it is one and well formed.
pub fn from_set_cookie(header: &str) -> Option<Affinity> {
    let pair = header.split(';').next()?.trim();
    let (name, value) = pair.split_once('=')?;
    (name.trim() == COOKIE_NAME).then(|| Affinity::parse(value.trim().trim_matches('"'))).flatten()
}

/// The `ARRAffinity` value in a request's `Cookie` header, if any.
pub fn from_cookie_header(header: &str) -> Option<Affinity> {
    header
        .split(';')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == COOKIE_NAME)
        .and_then(|(_, value)| Affinity::parse(value.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF";

    #[test]
    fn only_64_hex_digits_are_an_affinity() {
        assert_eq!(Affinity::parse(A).map(|a| a.short().to_string()), Some("0123456789ab".to_string()));
        for wrong in ["", "abc", &A[1..], &format!("{A}0"), &A.replace('0', "g"), &A.replace('1', "\r")] {
            assert_eq!(Affinity::parse(wrong), None, "{wrong:?}");
        }
        let random = Affinity::random().unwrap();
        assert!(Affinity::parse(random.as_str()).is_some());
        assert_ne!(random, Affinity::random().unwrap());
    }

    #[test]
    fn instance_is_an_affinity_or_a_small_number() {
        assert_eq!(Instance::parse(A), Ok(Instance::Affinity(Affinity::parse(A).unwrap())));
        assert_eq!(Instance::parse(" 2 "), Ok(Instance::Number(2)));
        assert_eq!(Instance::parse("100"), Ok(Instance::Number(100)));
        for wrong in ["0", "101", "-1", "abc\r\nX-Evil: 1", "ARRAffinity=1", ""] {
            let problem = Instance::parse(wrong).unwrap_err();
            assert!(problem.contains("64 hexadecimal digits") && !problem.contains("Evil"), "{problem}");
        }
    }

    #[test]
    fn cookies_are_read_from_both_headers() {
        let a = Affinity::parse(A).unwrap();
        assert_eq!(from_set_cookie(&format!("ARRAffinity={A};Path=/;HttpOnly;Domain=x")), Some(a.clone()));
        assert_eq!(from_set_cookie(&format!("ARRAffinitySameSite={A};Path=/")), None);
        assert_eq!(from_set_cookie("ARRAffinity=short;Path=/"), None);
        assert_eq!(from_cookie_header(&format!("other=1; ARRAffinity={A}")), Some(a.clone()));
        assert_eq!(from_cookie_header("ARRAffinity=x\u{7f}"), None);
        assert!(a.same_as(&Affinity::parse(&A.to_ascii_lowercase()).unwrap()));
    }

    #[test]
    fn a_stale_landing_names_both_instances() {
        let asked = Affinity::parse(A).unwrap();
        let landed = Affinity::random().unwrap();
        let reason = Landing::Stale { asked: asked.clone(), landed: landed.clone() }.stale_reason().unwrap();
        assert!(reason.contains(asked.as_str()) && reason.contains(landed.as_str()), "{reason}");
        assert_eq!(Landing::Chosen(landed).stale_reason(), None);
    }
}
