//! The relay's targets as the instances of a scaled-out site, routed the way App Service's front
//! end (ARR) routes them (docs/protocol.md §1.4.1): each has its own random `ARRAffinity` value
//! for this run; a request whose cookie names an instance goes there, any other to an instance
//! the relay picks, every instance once in a random order before any repeats (ARR balances the
//! load likewise), and the answer sets the cookie of the instance that served it.

use std::sync::Mutex;

use crate::transport::affinity::{Affinity, COOKIE_NAME};

/// One target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub host: String,
    pub port: u16,
    pub affinity: Affinity,
}

impl Instance {
    /// The `Set-Cookie` value that pins a client to this instance.
    pub fn set_cookie(&self) -> String {
        format!("{COOKIE_NAME}={};Path=/;HttpOnly", self.affinity)
    }
}

pub struct Instances {
    list: Vec<Instance>,
    /// What is left of the current round of cookie-less routing, as indices into `list`.
    round: Mutex<Vec<usize>>,
}

impl Instances {
    /// One instance per target, with fresh random values.
    pub fn new(targets: Vec<(String, u16)>) -> Result<Instances, String> {
        let list = targets
            .into_iter()
            .map(|(host, port)| Ok(Instance { host, port, affinity: Affinity::random()? }))
            .collect::<Result<Vec<_>, String>>()?;
        if list.is_empty() {
            return Err("no --target given".to_string());
        }
        Ok(Instances { list, round: Mutex::new(Vec::new()) })
    }

    pub fn list(&self) -> &[Instance] {
        &self.list
    }

    /// The instance `cookie` names, else the next one of the round.
    pub fn route(&self, cookie: Option<&Affinity>) -> &Instance {
        if let Some(named) = cookie.and_then(|cookie| self.list.iter().find(|i| i.affinity.same_as(cookie))) {
            return named;
        }
        let mut round = self.round.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if round.is_empty() {
            *round = shuffled(self.list.len());
        }
        let index = round.pop().unwrap_or(0);
        &self.list[index]
    }
}

/// `0..len` in a random order (in order if the random source fails).
fn shuffled(len: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    for i in (1..len).rev() {
        let Ok(bytes) = crate::random::bytes::<8>() else { break };
        let j = (u64::from_le_bytes(bytes) % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn three() -> Instances {
        Instances::new((1..=3).map(|port| ("127.0.0.1".to_string(), port)).collect()).unwrap()
    }

    #[test]
    fn a_known_cookie_routes_to_its_instance() {
        let instances = three();
        for instance in instances.list() {
            for _ in 0..5 {
                assert_eq!(instances.route(Some(&instance.affinity)), instance);
            }
        }
        assert!(instances.list()[0]
            .set_cookie()
            .starts_with(&format!("ARRAffinity={};", instances.list()[0].affinity)));
    }

    #[test]
    fn without_a_known_cookie_every_instance_serves_once_per_round() {
        let instances = three();
        let stranger = Affinity::random().unwrap();
        for round in 0..10 {
            let cookie = (round % 2 == 0).then_some(&stranger);
            let ports: HashSet<u16> = (0..3).map(|_| instances.route(cookie).port).collect();
            assert_eq!(ports.len(), 3, "round {round}");
        }
        let values: HashSet<&Affinity> = instances.list().iter().map(|i| &i.affinity).collect();
        assert_eq!(values.len(), 3);
    }
}
