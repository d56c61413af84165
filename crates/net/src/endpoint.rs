//! The iroh endpoint for a network mode, with this device's key and the gate.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::{Arc, Mutex, PoisonError};

use iroh::address_lookup::{AddrFilter, MemoryLookup};
use iroh::endpoint::{Builder, IdleTimeout, PortmapperConfig, QuicTransportConfig, presets};
use iroh::{Endpoint, RelayMap, RelayMode, SecretKey};
use iroh_mdns_address_lookup::MdnsAddressLookup;
use tracing::{info, warn};

use crate::doc::Doc;
use crate::error::NetError;
use crate::gate::{Gate, GateHook};
use crate::lan_name::LanName;
use crate::mode::NetworkMode;

/// Where an endpoint binds: the port used last time (0 for any), so the partner's
/// remembered address stays valid across restarts, and in loopback mode which loopback
/// address (the other modes bind every interface).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place {
    pub port: u16,
    pub loopback: IpAddr,
}

impl Place {
    pub(crate) fn any_port() -> Self {
        Self {
            port: 0,
            loopback: Ipv4Addr::LOCALHOST.into(),
        }
    }
}

/// Builds and binds the endpoint. It has no mDNS yet: the mDNS name is the couple's, so it
/// starts once there is a couple (see [`LanDiscovery`]).
pub(crate) async fn bind(
    mode: &NetworkMode,
    secret: [u8; 32],
    gate: &Gate,
    memory: &MemoryLookup,
    place: Place,
) -> Result<Endpoint, NetError> {
    match try_bind(mode, secret, gate, memory, place).await {
        Ok(ep) => Ok(ep),
        // The remembered port is taken: any port will do.
        Err(_) if place.port != 0 => {
            let any = Place { port: 0, ..place };
            try_bind(mode, secret, gate, memory, any).await
        }
        Err(e) => Err(e),
    }
}

async fn try_bind(
    mode: &NetworkMode,
    secret: [u8; 32],
    gate: &Gate,
    memory: &MemoryLookup,
    place: Place,
) -> Result<Endpoint, NetError> {
    let key = SecretKey::from_bytes(&secret);
    // Usually none yet: the node opens the couple's and an invite's ALPNs through the gate.
    let alpns = gate.alpns();
    builder(mode, place)?
        .secret_key(key)
        .alpns(alpns)
        .address_lookup(memory.clone())
        .hooks(GateHook(gate.clone()))
        .bind()
        .await
        .map_err(|e| NetError::Bind(e.to_string()))
}

/// An endpoint builder for `mode`, bound at `place`, with no key, ALPNs or hooks yet: the
/// transports and relays each mode allows, and nothing more.
pub(crate) fn builder(mode: &NetworkMode, place: Place) -> Result<Builder, NetError> {
    let bind_err = |e: &dyn std::fmt::Display| NetError::Bind(e.to_string());
    let port = place.port;
    let builder = match mode {
        NetworkMode::Loopback if !place.loopback.is_loopback() => {
            return Err(NetError::NotLoopback(place.loopback));
        }
        NetworkMode::Loopback => Endpoint::builder(presets::Minimal)
            .portmapper_config(PortmapperConfig::Disabled)
            .clear_ip_transports()
            .bind_addr(SocketAddr::new(place.loopback, port))
            .map_err(|e| bind_err(&e))?,
        NetworkMode::Lan => Endpoint::builder(presets::Minimal)
            .portmapper_config(PortmapperConfig::Disabled)
            .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                port,
            )))
            .map_err(|e| bind_err(&e))?,
        NetworkMode::Internet => Endpoint::builder(presets::N0)
            .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                port,
            )))
            .map_err(|e| bind_err(&e))?,
        NetworkMode::OwnRelay(url) => {
            let relay: iroh::RelayUrl = url.parse().map_err(|_| NetError::BadRelay(url.clone()))?;
            Endpoint::builder(presets::N0)
                .relay_mode(RelayMode::Custom(RelayMap::from(relay)))
                .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::UNSPECIFIED,
                    port,
                )))
                .map_err(|e| bind_err(&e))?
        }
    };
    Ok(builder.transport_config(liveness()))
}

/// How often a quiet connection says it is still there, and how long a silent one is
/// believed. The window says "connected" only while that is true, so a partner's device
/// that vanished (closed lid, lost network, killed app) shows as gone within seconds, not
/// after iroh's default half minute.
pub(crate) const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(2);
pub(crate) const SILENT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

fn liveness() -> QuicTransportConfig {
    QuicTransportConfig::builder()
        .keep_alive_interval(KEEP_ALIVE)
        .max_idle_timeout(IdleTimeout::try_from(SILENT_FOR).ok())
        .build()
}

/// Finds the partner's device on the LAN by mDNS, under the couple's [`LanName`].
///
/// iroh lets a lookup join an endpoint that is already bound (but can only take them all out
/// again, the partner's remembered address with them), so the endpoint is bound before pairing and mDNS joins it once there is a
/// partner to find, then runs until the endpoint closes.
#[derive(Debug, Clone)]
pub(crate) struct LanDiscovery {
    endpoint: Endpoint,
    enabled: bool,
    started: Arc<Mutex<Option<LanName>>>,
}

impl LanDiscovery {
    pub(crate) fn new(endpoint: &Endpoint, mode: &NetworkMode) -> Self {
        Self {
            endpoint: endpoint.clone(),
            enabled: mode.finds_partner_on_lan(),
            started: Arc::default(),
        }
    }

    /// Starts mDNS if the profile has a partner to find. Call it when the node starts and
    /// whenever a couple appears. Best effort: without it the partner's remembered address
    /// still works, so a failure is only logged.
    pub(crate) async fn refresh(&self, doc: &Doc) {
        if !self.enabled {
            return;
        }
        let Ok(Some(name)) = doc.run(|s| LanName::for_profile(&mut s.profile)).await else {
            return;
        };
        if let Err(e) = self.start(&name) {
            warn!("{e}");
        }
    }

    /// Returns whether mDNS started now (false: the mode keeps off the LAN, or it runs already).
    pub(crate) fn start(&self, name: &LanName) -> Result<bool, NetError> {
        if !self.enabled {
            return Ok(false);
        }
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(running) = started.as_ref() {
            if running != name {
                // Only one couple per profile, so this needs a new couple in a running node.
                warn!("LAN discovery keeps the name it started with until the node restarts");
            }
            return Ok(false);
        }
        let failed = |e: &dyn std::fmt::Display| NetError::Discovery(e.to_string());
        // The builder panics outside a tokio runtime; say so instead.
        tokio::runtime::Handle::try_current().map_err(|e| failed(&e))?;
        let mdns = MdnsAddressLookup::builder()
            .service_name(name.as_str())
            // A relay URL in the TXT record would name iroh's relays, or the person's own.
            .addr_filter(AddrFilter::ip_only())
            .build(self.endpoint.id())
            .map_err(|e| failed(&e))?;
        self.endpoint
            .address_lookup()
            .map_err(|e| failed(&e))?
            .add(mdns);
        *started = Some(name.clone());
        info!("looking for the partner's device on this network");
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use trellis_core::{DocId, PartnerKey};

    use super::*;

    /// Loopback is the only mode a test may bind: the others would announce on the LAN.
    #[tokio::test]
    async fn loopback_never_gets_mdns_even_when_paired() {
        let memory = MemoryLookup::new();
        let ep = bind(
            &NetworkMode::Loopback,
            [9; 32],
            &Gate::default(),
            &memory,
            Place::any_port(),
        )
        .await
        .unwrap();
        assert!(ep.bound_sockets().iter().all(|a| a.ip().is_loopback()));
        let lookups = ep.address_lookup().unwrap().len();
        let lan = LanDiscovery::new(&ep, &NetworkMode::Loopback);
        let name = LanName::derive(&DocId([1; 16]), &PartnerKey([2; 32]), &PartnerKey([3; 32]));
        assert!(!lan.start(&name).unwrap());
        assert_eq!(ep.address_lookup().unwrap().len(), lookups);
        ep.close().await;
    }

    /// Loopback mode binds the loopback address it is given, and refuses any other.
    #[tokio::test]
    async fn loopback_mode_binds_only_a_loopback_address() {
        let on = |ip: IpAddr| Place {
            port: 0,
            loopback: ip,
        };
        let v6 = builder(
            &NetworkMode::Loopback,
            on(std::net::Ipv6Addr::LOCALHOST.into()),
        )
        .unwrap()
        .bind()
        .await
        .unwrap();
        assert_eq!(
            v6.bound_sockets()
                .iter()
                .map(|a| a.ip())
                .collect::<Vec<_>>(),
            [IpAddr::from(std::net::Ipv6Addr::LOCALHOST)]
        );
        v6.close().await;
        let lan_ip = IpAddr::from(Ipv4Addr::new(192, 168, 1, 2));
        let refused = builder(&NetworkMode::Loopback, on(lan_ip)).err().unwrap();
        assert!(
            refused.to_string().contains("not a loopback address"),
            "{refused}"
        );
    }
}
