//! Invite codes: what one partner shows and the other types or scans.
//!
//! ```text
//! code = "TRELLIS-" base32( version:1 | secret:16 | expires:8 | inviter key:32 | address | check:4 )
//! address = endpoint id:32 | count:1 | count × (4|6:1, ip:4|16, port:2) | relay url (rest)
//! ```
//! The check bytes catch a mistyped code before any connection is made.

use iroh::EndpointAddr;
use sha2::{Digest, Sha256};
use trellis_core::PartnerKey;

use crate::error::{NetError, PairingError};

const PREFIX: &str = "TRELLIS-";
/// 2: the joiner dials the ALPN derived from the secret ([`Invite::alpn`]), which an inviter
/// of version 1 does not answer; a clear "different version" beats a silent timeout.
const VERSION: u8 = 2;
/// An invite is valid this long.
pub const INVITE_MINUTES: i64 = 10;

/// A decoded invite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub secret: [u8; 16],
    /// Milliseconds since the epoch.
    pub expires_at: i64,
    pub inviter: PartnerKey,
    pub addr: EndpointAddr,
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars() {
        let c = c.to_ascii_uppercase();
        let v = match c {
            // Common misreadings of the code, written or spoken.
            '0' => 14, // O
            '1' => 8,  // I
            '8' => 1,  // B
            _ => ALPHABET.iter().position(|&a| a as char == c)? as u32,
        };
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

fn check(bytes: &[u8]) -> [u8; 4] {
    let digest = Sha256::digest(bytes);
    [digest[0], digest[1], digest[2], digest[3]]
}

impl Invite {
    /// The ALPN the joiner dials and the inviter answers while this invite is open: derived
    /// from the secret, so only someone holding the code knows it.
    pub fn alpn(&self) -> Vec<u8> {
        crate::alpn::pair(&self.secret)
    }

    pub fn encode(&self) -> String {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&self.secret);
        bytes.extend_from_slice(&self.expires_at.to_le_bytes());
        bytes.extend_from_slice(self.inviter.as_bytes());
        encode_addr(&self.addr, &mut bytes);
        wrap_code(PREFIX, bytes)
    }

    pub fn decode(code: &str) -> Result<Self, NetError> {
        let bad = || NetError::Pairing(PairingError::InvalidCode);
        let data = unwrap_code(code, "TRELLIS").ok_or_else(bad)?;
        if data.len() < 1 + 16 + 8 + 32 {
            return Err(bad());
        }
        if data[0] != VERSION {
            return Err(PairingError::OtherVersion.into());
        }
        let secret: [u8; 16] = data[1..17].try_into().map_err(|_| bad())?;
        let expires_at = i64::from_le_bytes(data[17..25].try_into().map_err(|_| bad())?);
        let inviter = PartnerKey(data[25..57].try_into().map_err(|_| bad())?);
        let addr = decode_addr(&data[57..]).ok_or_else(bad)?;
        Ok(Self {
            secret,
            expires_at,
            inviter,
            addr,
        })
    }
}

/// A code as people see it: `prefix`, then the data and its check bytes in base32.
pub(crate) fn wrap_code(prefix: &str, mut data: Vec<u8>) -> String {
    let c = check(&data);
    data.extend_from_slice(&c);
    format!("{prefix}{}", base32(&data))
}

/// The data of a code made by [`wrap_code`] under `word` (its prefix without the dashes),
/// forgiving spaces, dashes and case; `None` for a code that is mistyped or of another kind.
pub(crate) fn unwrap_code(code: &str, word: &str) -> Option<Vec<u8>> {
    let cleaned: String = code
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    let body = cleaned
        .strip_prefix(word)
        .or_else(|| cleaned.strip_prefix(word.to_ascii_lowercase().as_str()))?;
    let mut bytes = unbase32(body)?;
    if bytes.len() < 4 {
        return None;
    }
    let c = bytes.split_off(bytes.len() - 4);
    (check(&bytes) == c.as_slice()).then_some(bytes)
}

/// An endpoint's address as codes carry it (see the module's documentation).
pub(crate) fn encode_addr(addr: &EndpointAddr, out: &mut Vec<u8>) {
    out.extend_from_slice(addr.id.as_bytes());
    let ips: Vec<&std::net::SocketAddr> = addr.ip_addrs().take(16).collect();
    out.push(ips.len() as u8);
    for ip in ips {
        match ip {
            std::net::SocketAddr::V4(v4) => {
                out.push(4);
                out.extend_from_slice(&v4.ip().octets());
            }
            std::net::SocketAddr::V6(v6) => {
                out.push(6);
                out.extend_from_slice(&v6.ip().octets());
            }
        }
        out.extend_from_slice(&ip.port().to_le_bytes());
    }
    if let Some(relay) = addr.relay_urls().next() {
        out.extend_from_slice(relay.to_string().as_bytes());
    }
}

pub(crate) fn decode_addr(data: &[u8]) -> Option<EndpointAddr> {
    let id = iroh::EndpointId::from_bytes(data.get(..32)?.try_into().ok()?).ok()?;
    let mut addr = EndpointAddr::new(id);
    let count = *data.get(32)? as usize;
    let mut pos = 33;
    for _ in 0..count {
        let ip: std::net::IpAddr = match data.get(pos)? {
            4 => {
                let o: [u8; 4] = data.get(pos + 1..pos + 5)?.try_into().ok()?;
                pos += 5;
                o.into()
            }
            6 => {
                let o: [u8; 16] = data.get(pos + 1..pos + 17)?.try_into().ok()?;
                pos += 17;
                o.into()
            }
            _ => return None,
        };
        let port = u16::from_le_bytes(data.get(pos..pos + 2)?.try_into().ok()?);
        pos += 2;
        addr = addr.with_ip_addr(std::net::SocketAddr::new(ip, port));
    }
    let rest = data.get(pos..)?;
    if !rest.is_empty() {
        let url: iroh::RelayUrl = std::str::from_utf8(rest).ok()?.parse().ok()?;
        addr = addr.with_relay_url(url);
    }
    Some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Invite {
        let id = iroh::SecretKey::from_bytes(&[7; 32]).public();
        Invite {
            secret: [9; 16],
            expires_at: 1_795_338_600_000,
            inviter: PartnerKey([3; 32]),
            addr: EndpointAddr::new(id)
                .with_ip_addr("127.0.0.1:4242".parse().unwrap())
                .with_ip_addr("[fe80::1]:4243".parse().unwrap())
                .with_relay_url("https://relay.example.org./".parse().unwrap()),
        }
    }

    #[test]
    fn codes_round_trip_and_forgive_spacing() {
        let invite = sample();
        let code = invite.encode();
        assert!(code.starts_with("TRELLIS-"));
        assert!(code.len() < 260, "{} characters", code.len());
        assert_eq!(Invite::decode(&code).unwrap(), invite);
        let spaced: String = code
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 5 == 4 { vec![c, ' '] } else { vec![c] })
            .collect();
        assert_eq!(Invite::decode(&spaced.to_lowercase()).unwrap(), invite);
    }

    #[test]
    fn a_code_of_the_first_version_asks_for_an_update() {
        let mut bytes = vec![1u8];
        bytes.extend_from_slice(&[0; 16 + 8 + 32]);
        encode_addr(&sample().addr, &mut bytes);
        let c = check(&bytes);
        bytes.extend_from_slice(&c);
        let error = Invite::decode(&format!("{PREFIX}{}", base32(&bytes))).unwrap_err();
        assert!(error.to_string().contains("different version"), "{error}");
    }

    #[test]
    fn a_mistyped_code_is_caught_before_dialing() {
        let code = sample().encode();
        let mut chars: Vec<char> = code.chars().collect();
        let i = chars.len() / 2;
        chars[i] = if chars[i] == 'A' { 'C' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        assert!(Invite::decode(&typo).is_err());
        assert!(Invite::decode(&code[..code.len() - 3]).is_err());
        assert!(Invite::decode("hello").is_err());
        assert!(Invite::decode("").is_err());
    }
}
