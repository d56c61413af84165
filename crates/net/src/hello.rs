//! The `Hello` a device says at the start of a sync conversation: where it can be reached.
//!
//! Compact and binary: the device's id is not repeated (the connection's TLS handshake
//! already proved it), and each address takes 7 bytes (IPv4), 19 (IPv6) or its URL's length
//! (a relay) instead of a JSON object — a Hello is part of every reconnect.
//!
//! ```text
//! hello = entry*        entry = 4 ‖ ipv4[4] ‖ port[2 BE] | 6 ‖ ipv6[16] ‖ port[2 BE]
//!                             | 'r' ‖ len[1] ‖ relay URL
//! ```
//! A payload starting with `{` is the JSON `EndpointAddr` earlier versions sent.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use iroh::{EndpointAddr, EndpointId, RelayUrl};

const V4: u8 = 4;
const V6: u8 = 6;
const RELAY: u8 = b'r';
/// Most direct addresses remembered from one Hello: a device has a handful; a partner's
/// device sending thousands would have this one remember and dial them all.
const MAX_ADDRESSES: usize = 32;

/// Encodes this device's addresses.
pub(crate) fn encode(addr: &EndpointAddr) -> Vec<u8> {
    let mut out = Vec::new();
    for ip in addr.ip_addrs() {
        match ip.ip() {
            IpAddr::V4(v4) => {
                out.push(V4);
                out.extend_from_slice(&v4.octets());
            }
            IpAddr::V6(v6) => {
                out.push(V6);
                out.extend_from_slice(&v6.octets());
            }
        }
        out.extend_from_slice(&ip.port().to_be_bytes());
    }
    for url in addr.relay_urls() {
        let text = url.to_string();
        if let Ok(len) = u8::try_from(text.len()) {
            out.push(RELAY);
            out.push(len);
            out.extend_from_slice(text.as_bytes());
        }
    }
    out
}

/// Decodes the partner's addresses; `None` if the payload is malformed.
pub(crate) fn decode(id: EndpointId, payload: &[u8]) -> Option<EndpointAddr> {
    if payload.first() == Some(&b'{') {
        let addr: EndpointAddr = serde_json::from_slice(payload).ok()?;
        return (addr.id == id).then_some(addr);
    }
    let mut addr = EndpointAddr::new(id);
    let mut rest = payload;
    while let Some((&tag, body)) = rest.split_first() {
        let (entry, len) = match tag {
            V4 => {
                let b: [u8; 6] = body.get(..6)?.try_into().ok()?;
                let ip = Ipv4Addr::new(b[0], b[1], b[2], b[3]);
                let port = u16::from_be_bytes([b[4], b[5]]);
                (Some(SocketAddr::new(IpAddr::V4(ip), port)), 6)
            }
            V6 => {
                let b: [u8; 18] = body.get(..18)?.try_into().ok()?;
                let octets: [u8; 16] = b[..16].try_into().ok()?;
                let port = u16::from_be_bytes([b[16], b[17]]);
                (
                    Some(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(octets)), port)),
                    18,
                )
            }
            RELAY => {
                let len = usize::from(*body.first()?);
                let text = std::str::from_utf8(body.get(1..1 + len)?).ok()?;
                let url: RelayUrl = text.parse().ok()?;
                addr = addr.with_relay_url(url);
                (None, 1 + len)
            }
            _ => return None,
        };
        if let Some(ip) = entry
            && addr.ip_addrs().count() < MAX_ADDRESSES
        {
            addr = addr.with_ip_addr(ip);
        }
        rest = &body[len..];
    }
    Some(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip_and_json_is_still_understood() {
        let id = iroh::SecretKey::from_bytes(&[3u8; 32]).public();
        let addr = EndpointAddr::new(id)
            .with_ip_addr("127.0.0.1:4242".parse().unwrap())
            .with_ip_addr("[::1]:4243".parse().unwrap());
        let bytes = encode(&addr);
        assert_eq!(bytes.len(), 7 + 19);
        assert_eq!(decode(id, &bytes), Some(addr.clone()));
        let json = serde_json::to_vec(&addr).unwrap();
        assert_eq!(decode(id, &json), Some(addr));
        assert_eq!(decode(id, &[V4, 1, 2]), None);
        assert_eq!(decode(id, &[9]), None);
    }

    #[test]
    fn a_flood_of_addresses_is_cut_to_a_handful() {
        let id = iroh::SecretKey::from_bytes(&[3u8; 32]).public();
        let mut bytes = Vec::new();
        for port in 0..10_000u16 {
            bytes.push(V4);
            bytes.extend([10, 0, 0, 1]);
            bytes.extend(port.to_be_bytes());
        }
        let addr = decode(id, &bytes).unwrap();
        assert_eq!(addr.ip_addrs().count(), MAX_ADDRESSES);
    }
}
