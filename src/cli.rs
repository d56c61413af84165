//! The command line: what a person (or a script) can ask of Trellis.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "trellis",
    version,
    about = "Trellis: a shared, signed space for two partners rebuilding trust",
    long_about = "Trellis keeps one shared document — agreements, check-ins, repairs, appreciations — \
                  on both partners' own devices, every change signed by its author. With no \
                  subcommand it opens the window; the subcommands are the command line."
)]
pub struct Cli {
    /// The profile directory (default: your user data folder; or set TRELLIS_PROFILE).
    #[arg(long, global = true, env = "TRELLIS_PROFILE", value_name = "DIR")]
    pub profile: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// Use this network mode for this run only: lan, internet, loopback or a relay URL.
    #[arg(long, global = true, value_name = "MODE", value_parser = parse_mode)]
    pub network: Option<trellis_net::NetworkMode>,
    /// A file whose first line is the profile's passphrase (for scripts and `serve`; without
    /// it Trellis asks on the terminal when the profile is locked).
    #[arg(
        long,
        global = true,
        env = "TRELLIS_PASSPHRASE_FILE",
        value_name = "FILE"
    )]
    pub passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Whether the profile is locked, and how.
    Status,
    /// Lock the profile with a (new) passphrase.
    Set {
        /// A file whose first line is the new passphrase (otherwise asked for twice).
        #[arg(long, value_name = "FILE")]
        new_passphrase_file: Option<PathBuf>,
    },
    /// Keep the key in this computer's keychain instead (opened when you log in).
    Keychain,
    /// Take the lock away: the files stay encrypted, but the key sits beside them.
    Remove,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create this device's profile and identity key.
    Init {
        /// Your name, as your partner will see it.
        #[arg(long)]
        name: String,
        /// Keep the profile's key beside its files, with no passphrase: only for a computer
        /// no one else uses. (Without this or --passphrase-file, Trellis asks on the terminal.)
        #[arg(long, conflicts_with_all = ["passphrase_file", "keychain"])]
        no_lock: bool,
        /// Keep the profile's key in this computer's keychain, opened when you log in.
        #[arg(long, conflicts_with = "passphrase_file")]
        keychain: bool,
    },
    /// Bring your identity back on a new computer after losing the old one with no backup:
    /// your recovery phrase, and an invite code from your partner's device (`trellis invite`
    /// there). The shared space comes back from their copy; the old computer's journal does
    /// not.
    Recover {
        /// The invite code your partner's device shows.
        code: String,
        /// A file holding your 24 recovery words (otherwise asked for on the terminal).
        #[arg(long, value_name = "FILE")]
        phrase_file: Option<PathBuf>,
        /// Keep the new profile's key beside its files, with no passphrase.
        #[arg(long, conflicts_with_all = ["passphrase_file", "keychain"])]
        no_lock: bool,
        /// Keep the new profile's key in this computer's keychain.
        #[arg(long, conflicts_with = "passphrase_file")]
        keychain: bool,
    },
    /// Show your 24-word recovery phrase again, to write it down.
    RecoveryPhrase,
    /// How this profile is kept on this computer: `lock status`, `lock set`, `lock remove`.
    #[command(subcommand)]
    Lock(LockCommand),
    /// Write the whole profile (keys, shared document, journal) to one file sealed with a
    /// backup passphrase.
    Backup {
        /// The file to write.
        file: PathBuf,
        /// A file whose first line is the backup's passphrase (otherwise asked for).
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// Bring a profile back from a backup file, into an empty profile folder.
    Restore {
        /// The backup file `trellis backup` wrote.
        file: PathBuf,
        /// A file whose first line is the backup's passphrase (otherwise asked for).
        #[arg(long, value_name = "FILE")]
        backup_passphrase_file: Option<PathBuf>,
    },
    /// My public identity card, to give to my partner.
    #[command(subcommand)]
    Card(CardCommand),
    /// Start the couple's shared document.
    #[command(subcommand)]
    Couple(CoupleCommand),
    /// Exchange changes as a file, when the devices cannot meet.
    #[command(subcommand)]
    Bundle(BundleCommand),
    /// The digits both partners compare to be sure no one is in between.
    SafetyNumber {
        /// Record that you compared them with your partner and they match.
        #[arg(long)]
        confirm: bool,
    },
    /// The honest state of this profile: partner, safety number, what has not reached them.
    Status,
    /// Invite my partner's device: shows a one-time code (text and QR), waits for them.
    Invite,
    /// Join my partner from their invite code.
    Join {
        /// The code shown by `trellis invite` on my partner's device.
        code: String,
    },
    /// Pairing: confirm the safety number matched on both devices.
    #[command(subcommand)]
    Pair(PairCommand),
    /// Stay online and keep our copies in sync whenever my partner's device is reachable.
    Serve,
    /// Connect to my partner's device now, sync, and report.
    Sync,
    /// The couple's mailbox: an always-on peer that keeps sealed envelopes for each of you
    /// until you pick them up, for when your devices are rarely online together.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Pass sealed files through a folder (a USB stick, a folder another tool syncs): takes
    /// in my partner's file there, writes mine. With no folder: the one set before.
    Carrier {
        /// The folder to use from now on.
        folder: Option<PathBuf>,
        /// Stop using a carrier folder.
        #[arg(long, conflicts_with = "folder")]
        off: bool,
    },
    /// End our shared space with dignity: sync stops once the ending reaches my partner, both
    /// copies stay readable; `--wipe --yes` then deletes this profile from this device.
    Unpair {
        /// A last word for my partner.
        #[arg(long)]
        note: Option<String>,
        /// Also delete this profile (keys, shared document, private journal) from this device.
        #[arg(long)]
        wipe: bool,
        /// Confirm the wipe.
        #[arg(long, requires = "wipe")]
        yes: bool,
    },
    /// Show or set how this device reaches my partner's: lan, internet, loopback, or a relay URL.
    Network {
        /// The new mode; leave out to show the current one.
        mode: Option<String>,
    },
    /// Agreements and boundaries.
    #[command(subcommand)]
    Agreement(AgreementCommand),
    /// Short, honest check-ins.
    #[command(subcommand, name = "checkin")]
    CheckIn(CheckInCommand),
    /// Repair after trust broke: what happened, acknowledgement, commitments.
    #[command(subcommand)]
    Repair(RepairCommand),
    /// Follow-through on commitments.
    #[command(subcommand)]
    Commitment(CommitmentCommand),
    /// A small appreciation for my partner.
    Appreciate {
        /// What you appreciate.
        text: String,
    },
    /// Answer an appreciation my partner gave me: a "thank you", with a word if I like.
    Thank {
        /// The appreciation's id (the first characters are enough).
        appreciation: String,
        /// A word to go with it (at most 280 characters).
        #[arg(long)]
        text: Option<String>,
    },
    /// A pre-agreed pause that carries its own return time (`trellis pause` too).
    #[command(visible_alias = "pause")]
    Timeout {
        /// How long the pause lasts, in minutes (1 to 1440).
        #[arg(
            long,
            required_unless_present = "end",
            allow_negative_numbers = true,
            value_parser = parse_minutes
        )]
        minutes: Option<u32>,
        /// A word for your partner ("I'm flooded; back soon").
        #[arg(long)]
        note: Option<String>,
        /// Say you are back now.
        #[arg(long, conflicts_with_all = ["minutes", "note"])]
        end: bool,
    },
    /// My private journal and triggers: never shared, never synced.
    #[command(subcommand)]
    Journal(JournalCommand),
    /// What needs attention today, and this profile's status.
    Show,
    /// Two windows, Alex and Sam, already paired over this machine, with a little history.
    Demo,
    /// The signed history: who changed what, when, and whether it verifies.
    Log {
        /// Show only the newest N entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Re-verify every stored change from the first one.
    Verify,
    /// Write chosen sections and dates as Markdown, to bring to a therapist.
    Export {
        /// The file to write.
        #[arg(long, value_name = "FILE")]
        markdown: PathBuf,
        /// Only from this date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        since: Option<NaiveDate>,
        /// Only up to this date (YYYY-MM-DD).
        #[arg(long, value_parser = parse_date)]
        until: Option<NaiveDate>,
        /// Which sections, comma-separated: agreements, checkins, repairs, appreciations, timeouts, progress.
        #[arg(long, value_delimiter = ',')]
        sections: Vec<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PairCommand {
    /// We compared the safety number and it matches on both devices.
    Confirm,
}

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Run a mailbox on this (always-on) machine; it prints a one-time code to add it.
    Serve {
        /// Where the mailbox keeps its key and envelopes.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// The UDP port to listen on (default: the one used last time, else any).
        #[arg(long)]
        port: Option<u16>,
        /// The most each couple may keep waiting here, in MiB.
        #[arg(long, default_value_t = 256)]
        quota_mib: u64,
        /// Envelopes not picked up after this many days are removed (the sender is told).
        #[arg(long, default_value_t = 90)]
        expiry_days: u64,
        /// Print a fresh one-time code (for another couple, or a lost code).
        #[arg(long)]
        new_code: bool,
    },
    /// Use a mailbox from the code it printed; your partner's device learns of it by sync.
    Add { code: String },
    /// Visit the mailbox now: pick up, leave what your partner lacks, and say what waits.
    Status,
    /// Stop using the mailbox (what waits there for either of you is removed).
    Remove,
}

#[derive(Debug, Subcommand)]
pub enum CardCommand {
    /// Write my card to FILE ("-" for the terminal).
    Export { file: PathBuf },
    /// Add my partner's card on this device, for the key that seals bundles to them (a
    /// couple that began with an older Trellis).
    Add {
        /// My partner's card file ("-" to read it from standard input).
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CoupleCommand {
    /// Start the couple's document with my partner, from their card.
    Create {
        /// My partner's card file ("-" to read it from standard input).
        #[arg(long, value_name = "CARD")]
        partner: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Write what my partner may not have yet to FILE.
    Export {
        file: PathBuf,
        /// Everything, not only what my partner may lack.
        #[arg(long)]
        all: bool,
    },
    /// Verify and apply my partner's bundle; the first one joins the couple.
    Import { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AgreementCommand {
    /// Propose a new agreement (your yes comes with it).
    Propose {
        #[arg(long)]
        title: String,
        /// communication, transparency, time-and-space, digital-life, money, intimacy, other
        #[arg(long)]
        category: String,
        /// The agreement, in words you both can hold.
        #[arg(long)]
        wording: String,
        /// What we do if it is crossed.
        #[arg(long)]
        if_crossed: Option<String>,
        /// When to look at it again together (required for transparency & privacy).
        #[arg(long, value_parser = parse_date)]
        review_on: Option<NaiveDate>,
    },
    /// Say yes to the current wording.
    Accept {
        id: String,
        /// A specific current revision (when asked to choose).
        #[arg(long)]
        revision: Option<String>,
    },
    /// Propose new wording (or a new review date); settles a conflict too.
    Revise {
        id: String,
        #[arg(long)]
        wording: Option<String>,
        #[arg(long)]
        if_crossed: Option<String>,
        #[arg(long, value_parser = parse_date)]
        review_on: Option<NaiveDate>,
        /// The revision to start from (to keep one side of a conflict).
        #[arg(long)]
        from: Option<String>,
    },
    /// Ask to retire an agreement; it is retired when both ask.
    Retire {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// All agreements and where they stand.
    List {
        /// Include retired agreements.
        #[arg(long)]
        all: bool,
    },
    /// One agreement with every version.
    Show { id: String },
}

#[derive(Debug, Args)]
pub struct CheckInArgs {
    /// "I feel …"
    #[arg(long)]
    pub feel: String,
    /// "… when …"
    #[arg(long)]
    pub when: Option<String>,
    #[arg(long)]
    pub went_well: Option<String>,
    #[arg(long)]
    pub was_hard: Option<String>,
    /// reassurance, support, space or nothing
    #[arg(long)]
    pub need: Option<String>,
    /// I want you to listen.
    #[arg(long, conflicts_with = "advise")]
    pub listen: bool,
    /// Advice is welcome.
    #[arg(long)]
    pub advise: bool,
    /// How safe I feel, 1–10.
    #[arg(long)]
    pub safety: Option<u32>,
    /// How much I trust, 1–10.
    #[arg(long)]
    pub trust: Option<u32>,
    /// How connected I feel, 1–10.
    #[arg(long)]
    pub connection: Option<u32>,
    /// The day it is about (default today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Subcommand)]
pub enum CheckInCommand {
    /// Check in.
    Add(CheckInArgs),
    /// Answer my partner's check-in ("I hear you").
    Reply { id: String, text: String },
    /// Recent check-ins, newest first.
    List {
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Show my partner's check-ins even for days I have not checked in.
        #[arg(long)]
        unfold: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum RepairCommand {
    /// Name what happened and how it landed.
    Open {
        #[arg(long)]
        what: String,
        #[arg(long)]
        landed: String,
    },
    /// Acknowledge my partner's repair in my own words.
    Acknowledge {
        id: String,
        #[arg(long)]
        acknowledgement: String,
        #[arg(long)]
        regret: String,
    },
    /// Commit to a concrete step.
    Commit {
        id: String,
        #[arg(long)]
        wording: String,
        /// daily, weekly, fortnightly, monthly or ongoing
        #[arg(long, required_unless_present = "due")]
        cadence: Option<String>,
        /// A due date, for a one-off step.
        #[arg(long, value_parser = parse_date)]
        due: Option<NaiveDate>,
    },
    /// Agree the repair is complete; it closes when both agree.
    Close {
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Take back my "complete", while my partner has not said it too.
    Reopen { id: String },
    /// Repairs with their commitments and follow-through.
    List,
}

#[derive(Debug, Subcommand)]
pub enum CommitmentCommand {
    /// Note how my own commitment went.
    Report {
        id: String,
        /// kept, partly or missed
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        note: Option<String>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Acknowledge my partner's follow-through.
    Acknowledge {
        /// The report's id.
        id: String,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum JournalCommand {
    /// Write a private entry.
    Add { text: String },
    /// My private entries, newest first.
    List,
    /// Change an entry's words (the old words are gone from the disk too).
    Edit {
        /// The entry's id (the first characters are enough).
        id: String,
        text: String,
    },
    /// Delete an entry for good.
    Delete {
        /// The entry's id (the first characters are enough).
        id: String,
    },
    /// Note one of my own triggers.
    Trigger { text: String },
    /// My list of triggers.
    Triggers,
}

/// clap's error as one line that keeps what matters — which arguments are missing, which
/// value is wrong — without the usage block, and with the help of the command typed.
pub fn one_line_error(clap_text: &str) -> String {
    let words: Vec<&str> = clap_text
        .lines()
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("tip: to pass"))
        .collect();
    let message = if words.is_empty() {
        "error: invalid arguments".to_string()
    } else {
        words.join(" ")
    };
    format!("{message} (see `{} --help`)", typed_command())
}

/// The subcommands typed on this run's command line, as far as they are real ones:
/// "trellis agreement propose".
fn typed_command() -> String {
    use clap::CommandFactory;
    let mut command = Cli::command();
    let mut path = vec!["trellis".to_string()];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--profile" || arg == "--network" {
            args.next(); // the global option's value
            continue;
        }
        if arg.starts_with('-') {
            continue;
        }
        match command.find_subcommand(&arg) {
            Some(sub) => {
                path.push(arg);
                command = sub.clone();
            }
            None => break,
        }
    }
    path.join(" ")
}

/// A pause's length: a whole number of minutes, from one minute to a day.
fn parse_minutes(text: &str) -> Result<u32, String> {
    let max = trellis_core::MAX_TIMEOUT_MINUTES;
    let minutes: i64 = text
        .trim()
        .parse()
        .map_err(|_| format!("“{text}” is not a number of minutes; give one like 20"))?;
    u32::try_from(minutes)
        .ok()
        .filter(|m| (1..=max).contains(m))
        .ok_or_else(|| {
            format!(
                "a pause lasts from 1 minute to {} hours ({max} minutes)",
                max / 60
            )
        })
}

fn parse_mode(text: &str) -> Result<trellis_net::NetworkMode, String> {
    trellis_net::NetworkMode::parse(text).ok_or_else(|| {
        format!("“{text}” is not a network mode; use lan, internet, loopback or a relay URL")
    })
}

/// Dates are typed as YYYY-MM-DD, or "today" / "tomorrow" / "yesterday".
pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    let today = chrono::Local::now().date_naive();
    match text.trim().to_ascii_lowercase().as_str() {
        "today" => Ok(today),
        "tomorrow" => Ok(today + chrono::Duration::days(1)),
        "yesterday" => Ok(today - chrono::Duration::days(1)),
        other => trellis_core::time::parse_date(other)
            .ok_or_else(|| format!("“{text}” is not a date; write it as YYYY-MM-DD")),
    }
}
