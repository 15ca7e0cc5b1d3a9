//! Randomness from the system's source (through ring, already linked for TLS): the demo's
//! secrets and the relay's instance values and order.

/// `N` bytes from the system's random source.
pub fn bytes<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    rustls::crypto::ring::default_provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| "the system's random source failed".to_string())?;
    Ok(bytes)
}

/// `N` random bytes in lowercase hexadecimal (`2 × N` digits).
pub fn hex<const N: usize>() -> Result<String, String> {
    Ok(bytes::<N>()?.iter().map(|byte| format!("{byte:02x}")).collect())
}
