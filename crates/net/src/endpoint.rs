//! The iroh endpoint for a network mode, with this device's key and the gate.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};

use iroh::address_lookup::MemoryLookup;
use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, RelayMap, RelayMode, SecretKey};
use iroh_mdns_address_lookup::MdnsAddressLookup;

use crate::error::NetError;
use crate::gate::{Gate, GateHook, PAIR_ALPN, SYNC_ALPN};
use crate::mode::NetworkMode;

/// The mDNS service name: devices on the LAN find each other under it.
const MDNS_SERVICE: &str = "trellis";

/// Builds and binds the endpoint. `port` is the port used last time (0 for any), so the
/// partner's remembered address stays valid across restarts.
pub(crate) async fn bind(
    mode: &NetworkMode,
    secret: [u8; 32],
    gate: &Gate,
    memory: &MemoryLookup,
    port: u16,
) -> Result<Endpoint, NetError> {
    match try_bind(mode, secret, gate, memory, port).await {
        Ok(ep) => Ok(ep),
        // The remembered port is taken: any port will do.
        Err(_) if port != 0 => try_bind(mode, secret, gate, memory, 0).await,
        Err(e) => Err(e),
    }
}

async fn try_bind(
    mode: &NetworkMode,
    secret: [u8; 32],
    gate: &Gate,
    memory: &MemoryLookup,
    port: u16,
) -> Result<Endpoint, NetError> {
    let key = SecretKey::from_bytes(&secret);
    let alpns = vec![PAIR_ALPN.to_vec(), SYNC_ALPN.to_vec()];
    let bind_err = |e: &dyn std::fmt::Display| NetError::Bind(e.to_string());
    let builder = match mode {
        NetworkMode::Loopback => Endpoint::builder(presets::Minimal)
            .portmapper_config(PortmapperConfig::Disabled)
            .clear_ip_transports()
            .bind_addr(SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port)))
            .map_err(|e| bind_err(&e))?,
        NetworkMode::Lan => Endpoint::builder(presets::Minimal)
            .portmapper_config(PortmapperConfig::Disabled)
            .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                port,
            )))
            .map_err(|e| bind_err(&e))?
            .address_lookup(MdnsAddressLookup::builder().service_name(MDNS_SERVICE)),
        NetworkMode::Internet => Endpoint::builder(presets::N0)
            .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::UNSPECIFIED,
                port,
            )))
            .map_err(|e| bind_err(&e))?
            .address_lookup(MdnsAddressLookup::builder().service_name(MDNS_SERVICE)),
        NetworkMode::OwnRelay(url) => {
            let relay: iroh::RelayUrl = url
                .parse()
                .map_err(|_| NetError::Bind(format!("“{url}” is not a relay URL")))?;
            Endpoint::builder(presets::N0)
                .relay_mode(RelayMode::Custom(RelayMap::from(relay)))
                .bind_addr(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::UNSPECIFIED,
                    port,
                )))
                .map_err(|e| bind_err(&e))?
                .address_lookup(MdnsAddressLookup::builder().service_name(MDNS_SERVICE))
        }
    };
    builder
        .secret_key(key)
        .alpns(alpns)
        .address_lookup(memory.clone())
        .hooks(GateHook(gate.clone()))
        .bind()
        .await
        .map_err(|e| bind_err(&e))
}
