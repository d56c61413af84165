//! How this device reaches its partner.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The network setting of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", content = "relay", rename_all = "snake_case")]
pub enum NetworkMode {
    /// The home network only: found by mDNS (once paired), no internet needed, nothing leaves
    /// the LAN.
    #[default]
    Lan,
    /// Across the internet: iroh's public relays and address lookup, plus LAN discovery.
    /// Relays only ever see encrypted bytes.
    Internet,
    /// Across the internet through a relay of your own (its URL), plus LAN discovery.
    OwnRelay(String),
    /// This machine only (127.0.0.1): no relay, no lookup, no multicast. For tests and demos.
    Loopback,
}

impl NetworkMode {
    /// Stored form of the setting.
    pub fn to_setting(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "\"lan\"".into())
    }

    pub fn from_setting(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// Parses what a person types: lan, internet, loopback, or a relay URL.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "lan" | "local" | "home" => Some(Self::Lan),
            "internet" => Some(Self::Internet),
            "loopback" => Some(Self::Loopback),
            _ if text.trim().starts_with("https://") || text.trim().starts_with("http://") => {
                Some(Self::OwnRelay(text.trim().to_string()))
            }
            _ => None,
        }
    }

    /// Whether the partner's device is looked for by mDNS. Loopback never is: tests and demos
    /// must not send a single packet off this machine.
    pub(crate) fn finds_partner_on_lan(&self) -> bool {
        !matches!(self, Self::Loopback)
    }

    pub fn label(&self) -> String {
        match self {
            Self::Lan => "Home network (LAN)".into(),
            Self::Internet => "Internet (public relays)".into(),
            Self::OwnRelay(url) => format!("Internet through my relay ({url})"),
            Self::Loopback => "This machine only (loopback)".into(),
        }
    }
}

impl fmt::Display for NetworkMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// The mode saved in a profile (LAN when none was chosen).
pub fn saved_mode(
    profile: &trellis_store::Profile,
) -> Result<NetworkMode, trellis_store::StoreError> {
    Ok(profile
        .setting(keys::MODE)?
        .and_then(|s| NetworkMode::from_setting(&s))
        .unwrap_or_default())
}

/// Saves the mode in a profile; it takes effect the next time the node starts.
pub fn save_mode(
    profile: &trellis_store::Profile,
    mode: &NetworkMode,
) -> Result<(), trellis_store::StoreError> {
    profile.set_setting(keys::MODE, &mode.to_setting())
}

/// Tells the profile where the partner's device can be reached (an address as the node
/// publishes it, `Snapshot::network.address`): what a node remembers by itself after
/// meeting them, given ahead (tests, benchmarks, a known fixed address).
pub fn save_partner_address(
    profile: &trellis_store::Profile,
    address: &str,
) -> Result<(), trellis_store::StoreError> {
    profile.set_setting(keys::PARTNER_ADDR, address)
}

/// Settings keys in the profile's store.
pub(crate) mod keys {
    pub const MODE: &str = "network.mode";
    pub const PORT: &str = "network.port";
    pub const PARTNER_ADDR: &str = "network.partner_addr";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_parse() {
        for m in [
            NetworkMode::Lan,
            NetworkMode::Internet,
            NetworkMode::OwnRelay("https://relay.example.org".into()),
            NetworkMode::Loopback,
        ] {
            assert_eq!(NetworkMode::from_setting(&m.to_setting()), Some(m));
        }
        assert_eq!(NetworkMode::parse("LAN"), Some(NetworkMode::Lan));
        assert_eq!(
            NetworkMode::parse("https://r.example"),
            Some(NetworkMode::OwnRelay("https://r.example".into()))
        );
        assert_eq!(NetworkMode::parse("carrier pigeon"), None);
    }

    #[test]
    fn only_loopback_stays_off_the_lan() {
        assert!(!NetworkMode::Loopback.finds_partner_on_lan());
        for m in [
            NetworkMode::Lan,
            NetworkMode::Internet,
            NetworkMode::OwnRelay("https://relay.example.org".into()),
        ] {
            assert!(m.finds_partner_on_lan(), "{m}");
        }
    }
}
