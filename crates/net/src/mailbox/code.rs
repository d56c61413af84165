//! Mailbox codes: what a mailbox prints and a partner types to add it.
//!
//! ```text
//! code = "TRELLIS-MAILBOX-" base32( version:1 | secret:16 | expires:8 | address | check:4 )
//! ```
//! The address is encoded as in invite codes; the check bytes catch a mistyped code before
//! any connection is made.

use iroh::EndpointAddr;

use crate::error::NetError;
use crate::invite::{decode_addr, encode_addr, unwrap_code, wrap_code};

const PREFIX: &str = "TRELLIS-MAILBOX-";
/// The prefix as [`unwrap_code`] sees it, dashes removed.
const WORD: &str = "TRELLISMAILBOX";
const VERSION: u8 = 1;

/// A decoded mailbox code: a one-time secret, when it stops working, and where the mailbox is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxCode {
    pub secret: [u8; 16],
    /// Milliseconds since the epoch.
    pub expires_at: i64,
    pub addr: EndpointAddr,
}

impl MailboxCode {
    /// The ALPN the mailbox answers while this code is open.
    pub fn alpn(&self) -> Vec<u8> {
        super::registration_alpn(&self.secret)
    }

    pub fn encode(&self) -> String {
        let mut bytes = vec![VERSION];
        bytes.extend_from_slice(&self.secret);
        bytes.extend_from_slice(&self.expires_at.to_le_bytes());
        encode_addr(&self.addr, &mut bytes);
        wrap_code(PREFIX, bytes)
    }

    pub fn decode(text: &str) -> Result<Self, NetError> {
        let data = unwrap_code(text, WORD).ok_or(NetError::MailboxCodeInvalid)?;
        let (&version, rest) = data.split_first().ok_or(NetError::MailboxCodeInvalid)?;
        if version != VERSION {
            return Err(NetError::MailboxCodeVersion);
        }
        let secret: [u8; 16] = rest
            .get(..16)
            .and_then(|s| s.try_into().ok())
            .ok_or(NetError::MailboxCodeInvalid)?;
        let expires_at = rest
            .get(16..24)
            .and_then(|s| s.try_into().ok())
            .map(i64::from_le_bytes)
            .ok_or(NetError::MailboxCodeInvalid)?;
        let addr = rest
            .get(24..)
            .and_then(decode_addr)
            .ok_or(NetError::MailboxCodeInvalid)?;
        Ok(Self {
            secret,
            expires_at,
            addr,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::invite::Invite;

    fn sample() -> MailboxCode {
        let id = iroh::SecretKey::from_bytes(&[7; 32]).public();
        MailboxCode {
            secret: [9; 16],
            expires_at: 1_795_338_600_000,
            addr: EndpointAddr::new(id)
                .with_ip_addr("127.0.0.1:4242".parse().unwrap())
                .with_relay_url("https://relay.example.org./".parse().unwrap()),
        }
    }

    #[test]
    fn codes_round_trip_and_forgive_spacing_and_case() {
        let code = sample().encode();
        assert!(code.starts_with("TRELLIS-MAILBOX-"), "{code}");
        assert_eq!(MailboxCode::decode(&code).unwrap(), sample());
        let spaced: String = code
            .chars()
            .enumerate()
            .flat_map(|(i, c)| if i % 4 == 3 { vec![c, ' '] } else { vec![c] })
            .collect();
        assert_eq!(
            MailboxCode::decode(&format!("  {}\n", spaced.to_lowercase())).unwrap(),
            sample()
        );
    }

    #[test]
    fn a_mistyped_code_or_another_kind_of_code_is_refused() {
        let code = sample().encode();
        let mut chars: Vec<char> = code.chars().collect();
        let i = chars.len() - 5;
        chars[i] = if chars[i] == 'A' { 'C' } else { 'A' };
        let typo: String = chars.into_iter().collect();
        for bad in [
            typo.as_str(),
            &code[..code.len() - 2],
            "",
            "TRELLIS-MAILBOX-",
        ] {
            assert!(
                matches!(MailboxCode::decode(bad), Err(NetError::MailboxCodeInvalid)),
                "{bad}"
            );
        }
        let invite = Invite {
            secret: [1; 16],
            expires_at: 0,
            inviter: trellis_core::PartnerKey([2; 32]),
            addr: sample().addr,
        }
        .encode();
        assert!(MailboxCode::decode(&invite).is_err());
        assert!(Invite::decode(&code).is_err());
    }

    #[test]
    fn another_version_asks_for_an_update() {
        let mut bytes = vec![2u8];
        bytes.extend_from_slice(&[0; 24]);
        encode_addr(&sample().addr, &mut bytes);
        let code = wrap_code(PREFIX, bytes);
        assert!(matches!(
            MailboxCode::decode(&code),
            Err(NetError::MailboxCodeVersion)
        ));
    }

    #[test]
    fn each_secret_has_its_own_alpn() {
        let a = sample();
        let b = MailboxCode {
            secret: [8; 16],
            ..sample()
        };
        assert_ne!(a.alpn(), b.alpn());
        assert_ne!(a.alpn(), crate::alpn::pair(&a.secret));
        assert_ne!(a.alpn(), super::super::members_alpn(&a.addr.id));
    }
}
