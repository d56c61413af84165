//! What to do next, in the command line's words: the libraries say what happened; where
//! the remedy is a command or a flag, it is said here, once, for every command.

use trellis_core::{CoreError, Rejection};
use trellis_net::{Failure, NetError};
use trellis_store::StoreError;

/// The next step for `error`, if the command line has one to offer.
pub fn for_error(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            store(e)
        } else if let Some(e) = cause.downcast_ref::<CoreError>() {
            core(e)
        } else if let Some(e) = cause.downcast_ref::<NetError>() {
            net(e)
        } else if let Some(f) = cause.downcast_ref::<Failure>() {
            net(f.error())
        } else {
            None
        }
    })
}

/// The next step whenever there is no partner yet.
const PAIR: &str =
    "Invite your partner with `trellis invite`, or join with their code: `trellis join CODE`.";

fn store(e: &StoreError) -> Option<String> {
    Some(
        match e {
            StoreError::NotInitialized(_) => "Create one with `trellis init --name NAME`.",
            StoreError::Busy(_) => {
                "Close that window or stop `trellis serve` first; commands that only read work meanwhile."
            }
            StoreError::NoCouple => PAIR,
            StoreError::MissingSignature(_) => "`trellis verify` lists what is missing.",
            StoreError::Locked(_) => {
                "Type the passphrase when asked, or give it with --passphrase-file FILE."
            }
            StoreError::RestoreOverProfile(_) => {
                "Name an empty folder with --profile DIR, or move the profile aside."
            }
            StoreError::Core(c) => return core(c),
            _ => return None,
        }
        .to_string(),
    )
}

fn core(e: &CoreError) -> Option<String> {
    Some(
        match e {
            CoreError::NoCouple => {
                "Start one with `trellis couple create`, or import your partner's bundle with `trellis bundle import FILE`."
            }
            CoreError::Unsettled { revising: true, .. } => {
                "Choose the wording to keep (`--from REVISION`) or write the settled wording (`--wording`); `trellis agreement show ID` lists the versions."
            }
            CoreError::Unsettled { revising: false, .. } => {
                "Settle it first: `trellis agreement revise ID --from REVISION` keeps one version (`trellis agreement show ID` lists them); then say yes."
            }
            CoreError::Rejected(Rejection::NotJoined) => {
                "Ask your partner for a full bundle: `trellis bundle export --all FILE` on their device."
            }
            _ => return None,
        }
        .to_string(),
    )
}

fn net(e: &NetError) -> Option<String> {
    match e {
        NetError::Store(s) => store(s),
        NetError::Core(c) => core(c),
        NetError::NetworkOff => Some(
            "Choose a network with `trellis network lan` (or internet, loopback) and try again."
                .into(),
        ),
        NetError::NotPaired => Some(PAIR.into()),
        NetError::Refused { partner } => Some(format!(
            "If your identity moved to another computer (`trellis recover`), sync from that one; {partner} can invite this computer again with `trellis invite`."
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use trellis_net::PairingError;

    /// Every library error a person can meet, as the libraries say it.
    fn library_errors() -> Vec<anyhow::Error> {
        let p = || PathBuf::from("/p");
        let store = [
            StoreError::NotInitialized(p()),
            StoreError::AlreadyInitialized(p()),
            StoreError::Busy(p()),
            StoreError::ReadOnly(p()),
            StoreError::Corrupt {
                path: p(),
                detail: "a page is damaged".into(),
            },
            StoreError::Write {
                path: p(),
                detail: "no space".into(),
            },
            StoreError::NoCouple,
            StoreError::AlreadyPaired("Sam".into()),
            StoreError::PartnerSealUnknown("Sam".into()),
            StoreError::MissingSignature("ab12".into()),
            StoreError::Locked(p()),
            StoreError::WrongPassphrase(p()),
            StoreError::WrongBackupPassphrase(p()),
            StoreError::RestoreOverProfile(p()),
            StoreError::NotSealed(p()),
        ];
        let core = [
            CoreError::NoCouple,
            CoreError::Unsettled {
                title: "Phones".into(),
                versions: 2,
                revising: true,
            },
            CoreError::Rejected(Rejection::NotJoined),
        ];
        let net = [
            NetError::NetworkOff,
            NetError::NotPaired,
            NetError::Refused {
                partner: "Sam".into(),
            },
            NetError::NoMailbox,
            NetError::MailboxCodeInvalid,
            NetError::MailboxNotMember,
            NetError::Pairing(PairingError::Expired),
            NetError::Pairing(PairingError::NoAnswer),
        ];
        let mut all: Vec<anyhow::Error> = store.into_iter().map(Into::into).collect();
        all.extend(core.into_iter().map(anyhow::Error::from));
        all.extend(net.into_iter().map(anyhow::Error::from));
        all
    }

    #[test]
    fn no_library_error_names_a_command_or_a_flag() {
        for e in library_errors() {
            let said = e.to_string();
            assert!(
                !said.contains("`trellis") && !said.contains("--"),
                "a library error speaks the command line's words: {said}"
            );
        }
    }

    #[test]
    fn the_command_line_adds_its_own_next_step() {
        let hint = |e: anyhow::Error| for_error(&e).unwrap_or_default();
        assert!(
            hint(StoreError::NotInitialized(PathBuf::from("/p")).into()).contains("trellis init")
        );
        assert!(hint(StoreError::Locked(PathBuf::from("/p")).into()).contains("--passphrase-file"));
        let unsettled = CoreError::Unsettled {
            title: "Phones".into(),
            versions: 2,
            revising: true,
        };
        // Found through every layer that wraps it, and through a node's answer.
        let wrapped = NetError::Store(StoreError::Core(unsettled));
        let failure: Failure = wrapped.into();
        let e = anyhow::Error::from(failure).context("revising");
        assert!(hint(e).contains("--from REVISION"));
        assert!(hint(NetError::NetworkOff.into()).contains("trellis network"));
        assert_eq!(for_error(&anyhow::anyhow!("something else")), None);
    }
}
