//! Shared helpers: loopback-only mailboxes and partner devices.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use iroh::{Endpoint, SecretKey};
use trellis_core::Identity;
use trellis_mailbox::{Mailbox, MailboxError, MailboxOptions};
use trellis_net::mailbox::server_builder;
use trellis_net::{MailboxClient, Member};

/// A partner: an identity and a device (an endpoint on 127.0.0.1 only).
#[derive(Debug)]
pub struct Device {
    pub identity: Identity,
    pub endpoint: Endpoint,
}

impl Device {
    pub async fn new(seed: u8) -> Self {
        let endpoint = server_builder(true, 0)
            .unwrap()
            .secret_key(SecretKey::from_bytes(&[seed.wrapping_add(100); 32]))
            .bind()
            .await
            .unwrap();
        assert!(
            endpoint
                .bound_sockets()
                .iter()
                .all(|a| a.ip().is_loopback()),
            "tests use loopback only"
        );
        Self {
            identity: Identity::from_bytes(&[seed; 32]),
            endpoint,
        }
    }

    pub fn member(&self) -> Member {
        let device = *self.endpoint.id().as_bytes();
        Member {
            identity: self.identity.public(),
            device,
            device_certificate: self.identity.certify_device(&device),
        }
    }

    pub fn client(&self, mailbox: &Mailbox) -> MailboxClient {
        MailboxClient::new(self.endpoint.clone(), mailbox.addr())
    }
}

pub fn options(dir: &Path) -> MailboxOptions {
    MailboxOptions {
        loopback: true,
        ..MailboxOptions::new(dir)
    }
}

/// Starts a mailbox, waiting while a stopped one still lets go of its store.
pub async fn start(options: MailboxOptions) -> Mailbox {
    for _ in 0..100 {
        match Mailbox::start(options.clone()).await {
            Err(MailboxError::Busy(_)) => tokio::time::sleep(Duration::from_millis(20)).await,
            other => return other.unwrap(),
        }
    }
    panic!("the mailbox's store stayed busy");
}

/// Registers a couple (the first device registers) and returns their clients.
pub async fn couple(mailbox: &Mailbox, a: &Device, b: &Device) -> (MailboxClient, MailboxClient) {
    let code = mailbox.new_code(Duration::from_secs(600)).unwrap();
    let ca = a.client(mailbox);
    ca.register(code.secret, a.member(), b.member())
        .await
        .unwrap();
    (ca, b.client(mailbox))
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
