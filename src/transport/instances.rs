//! Finding the instances of a scaled-out site (docs/protocol.md §1.4.1): cookie-less wake-up
//! requests (`HEAD /`, which never reaches ptvsd) until no new `ARRAffinity` value has appeared
//! for [`NO_NEW_TRIES`] requests in a row, at most [`MAX_REQUESTS`].

use std::sync::Arc;

use super::affinity::{Affinity, COOKIE_NAME};
use super::{wakeup, ConnectError, Deadline, Proxy, Target};

/// Requests in a row that brought no new instance before the search stops. ARR balances
/// cookie-less requests over the instances, so a few rounds see them all.
pub const NO_NEW_TRIES: u32 = 8;
/// The most requests one search sends.
pub const MAX_REQUESTS: u32 = 64;

/// The instances seen, in the order of their values: instance `n` is `instances[n - 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instances {
    pub instances: Vec<Affinity>,
    /// How many requests the search sent.
    pub requests: u32,
}

impl Instances {
    /// Instance `number` (from 1), or why there is none.
    pub fn numbered(&self, number: u16) -> Result<Affinity, String> {
        self.instances.get(usize::from(number).wrapping_sub(1)).cloned().ok_or_else(|| {
            format!(
                "'instance' {number}: the site's front end routed to {} instance(s) just now ({}): give one of \
                 those numbers, or an {COOKIE_NAME} value",
                self.instances.len(),
                self.listed()
            )
        })
    }

    /// `1 = <value>, 2 = <value>`.
    pub fn listed(&self) -> String {
        if self.instances.is_empty() {
            return "none answered".to_string();
        }
        let numbered: Vec<String> =
            self.instances.iter().enumerate().map(|(index, affinity)| format!("{} = {affinity}", index + 1)).collect();
        numbered.join(", ")
    }
}

/// Sends cookie-less wake-up requests and collects the `ARRAffinity` values of the answers.
/// Fails when no answer carried one (a site that is not scaled out behind ARR, or ARR affinity
/// switched off) or when nothing answered before `deadline`.
pub async fn discover(
    target: &Target,
    tls: Arc<rustls::ClientConfig>,
    proxy: Option<&Proxy>,
    deadline: Deadline,
) -> Result<Instances, ConnectError> {
    let mut instances: Vec<Affinity> = Vec::new();
    let mut requests = 0;
    let mut answered = 0;
    let mut since_new = 0;
    while since_new < NO_NEW_TRIES && requests < MAX_REQUESTS {
        let Ok(wake_up) = tokio::time::timeout_at(deadline.at, wakeup::wake_up(target, tls.clone(), proxy, None)).await
        else {
            break;
        };
        requests += 1;
        since_new += 1;
        let Some(wake_up) = wake_up else { continue };
        answered += 1;
        match wake_up.affinity {
            Some(affinity) if !instances.iter().any(|known| known.same_as(&affinity)) => {
                instances.push(affinity);
                since_new = 0;
            }
            _ => {}
        }
    }
    if instances.is_empty() {
        let why = if answered == 0 {
            format!("{target} did not answer {requests} HTTP request(s) in time")
        } else {
            format!(
                "{target} answered {answered} request(s) without an {COOKIE_NAME} cookie: the site is not behind \
                 App Service's front end, or its ARR affinity is off (Azure portal: Configuration > General \
                 settings > ARR affinity: On)"
            )
        };
        return Err(ConnectError::fatal(format!("cannot tell the site's instances apart: {why}")));
    }
    instances.sort();
    Ok(Instances { instances, requests })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_are_numbered_from_one() {
        let (a, b) = (Affinity::parse(&"a".repeat(64)).unwrap(), Affinity::parse(&"b".repeat(64)).unwrap());
        let found = Instances { instances: vec![a.clone(), b.clone()], requests: 10 };
        assert_eq!(found.numbered(1), Ok(a.clone()));
        assert_eq!(found.numbered(2), Ok(b.clone()));
        let problem = found.numbered(3).unwrap_err();
        assert!(problem.contains("2 instance(s)") && problem.contains(&format!("2 = {b}")), "{problem}");
        assert!(found.numbered(0).is_err());
    }
}
