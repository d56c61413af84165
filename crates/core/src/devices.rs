//! Which device each partner syncs from: the one in their card at the couple's start, until
//! they record another (an identity recovered on a new laptop). The newer record names the
//! device it replaces, and a replaced device may never sync again.
//!
//! Only a partner's own signed changes can write their device records (the ownership rule),
//! and a record counts only if its certificate verifies against their identity key, so
//! nothing the other partner writes can move or retire someone else's device.

use std::collections::BTreeSet;

use crate::action::Action;
use crate::couple::Couple;
use crate::identity::{PartnerKey, hex_array};

/// A device and its certificate by its owner's identity key.
pub type CertifiedDevice = ([u8; 32], [u8; 64]);

/// One device a partner has certified, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub device: [u8; 32],
    pub certificate: [u8; 64],
    /// When it was recorded (the couple's start for the card's device).
    pub at: i64,
    /// The device it replaced, if any.
    pub replaces: Option<[u8; 32]>,
}

impl Couple {
    /// Every device `key` has certified, card first, records after; records whose
    /// certificate does not verify are left out.
    pub fn devices_of(&self, key: &PartnerKey) -> Vec<KnownDevice> {
        let root = self.root();
        let card = root.couple.partners.get(&key.to_hex()).and_then(|r| {
            let device = hex_array::<32>(&r.device)?;
            let certificate = hex_array::<64>(&r.device_certificate)?;
            key.verify_device(&device, &certificate).ok()?;
            Some(KnownDevice {
                device,
                certificate,
                at: i64::MIN,
                replaces: None,
            })
        });
        let recorded = root
            .by
            .get(&key.to_hex())
            .into_iter()
            .flat_map(|space| space.devices.items.iter())
            .filter_map(|(id, record)| {
                let device = hex_array::<32>(id)?;
                let certificate = hex_array::<64>(&record.certificate)?;
                key.verify_device(&device, &certificate).ok()?;
                let replaces = match &record.replaces {
                    None => None,
                    Some(r) => Some(hex_array::<32>(r)?),
                };
                Some(KnownDevice {
                    device,
                    certificate,
                    at: record.at,
                    replaces,
                })
            });
        card.into_iter().chain(recorded).collect()
    }

    /// The devices `key` has retired: each one a later record of theirs replaces.
    pub fn retired_devices(&self, key: &PartnerKey) -> BTreeSet<[u8; 32]> {
        self.devices_of(key)
            .iter()
            .filter_map(|d| d.replaces)
            .collect()
    }

    /// The device `key` syncs from now: the newest they certified that no record of theirs
    /// replaces (ties, from records written apart, go to the larger id so both copies agree).
    pub fn current_device(&self, key: &PartnerKey) -> Option<CertifiedDevice> {
        let devices = self.devices_of(key);
        let retired: BTreeSet<[u8; 32]> = devices.iter().filter_map(|d| d.replaces).collect();
        devices
            .iter()
            .filter(|d| !retired.contains(&d.device))
            .max_by(|a, b| a.at.cmp(&b.at).then_with(|| a.device.cmp(&b.device)))
            .map(|d| (d.device, d.certificate))
    }

    /// The record that makes `device` (this one, certified by my identity) the device I sync
    /// from, when it is not yet: after my identity was recovered on a new laptop. `None` when
    /// it already is, when the space has ended, or when this device was itself retired (an old
    /// laptop found again must not take over from the new one).
    pub fn device_to_record(&self, device: &CertifiedDevice) -> Option<Action> {
        let me = self.me();
        let current = self.current_device(&me);
        if current.is_some_and(|(d, _)| d == device.0)
            || self.retired_devices(&me).contains(&device.0)
            || self.is_ended()
        {
            return None;
        }
        Some(Action::RecordDevice {
            device: hex::encode(device.0),
            certificate: hex::encode(device.1),
            replaces: current.map(|(d, _)| hex::encode(d)),
        })
    }
}
