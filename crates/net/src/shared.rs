//! What the node's network tasks share: the endpoint, the document thread, the gate.
//!
//! Below every protocol module (pairing, sync, the courier) and above the document thread,
//! so each of them reads it without reaching up into the node that starts them.

use std::sync::Arc;

use iroh::address_lookup::MemoryLookup;
use iroh::{Endpoint, EndpointAddr};
use tokio::sync::watch;

use crate::doc::{Doc, Publisher};
use crate::endpoint;
use crate::gate::{Gate, Partner};
use crate::mode::keys;

/// What the network tasks share.
#[derive(Debug, Clone)]
pub(crate) struct Net {
    pub endpoint: Endpoint,
    pub doc: Doc,
    pub gate: Gate,
    pub memory: MemoryLookup,
    /// Finds the partner's device on the LAN, once there is a partner.
    pub lan: endpoint::LanDiscovery,
    pub publisher: Publisher,
    pub stop: watch::Receiver<bool>,
    /// The live conversation's report so far (sync progress, and whether both copies agree).
    pub sync_report: Arc<watch::Sender<crate::handle::SyncReport>>,
}

impl Net {
    /// After the couple changed (created, joined, paired): the gate and the endpoint's ALPNs
    /// follow the profile (the partner's device may sync, under the couple's ALPN), and the
    /// LAN search for that device starts.
    pub(crate) async fn partner_changed(&self) {
        self.let_partner_in().await;
        self.lan.refresh(&self.doc).await;
    }

    /// Opens the couple's sync ALPN to the partner's device, or closes it if there is none.
    pub(crate) async fn let_partner_in(&self) {
        let partner = self
            .doc
            .run(|s| Partner::of_profile(&mut s.profile))
            .await
            .ok()
            .flatten();
        self.gate.set_partner(partner, &self.endpoint);
    }

    /// Remembers where the partner's device was last reachable.
    pub(crate) async fn remember_address(&self, addr: EndpointAddr) {
        self.memory.add_endpoint_info(addr.clone());
        if let Ok(json) = serde_json::to_string(&addr) {
            let _ = self
                .doc
                .run(move |s| s.profile.set_setting(keys::PARTNER_ADDR, &json))
                .await;
        }
    }
}
