//! The command line: global options, commands and their flags.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// The cloud used when neither `--cloud`, `REKEY_CLOUD` nor a stored session names one.
pub const DEFAULT_CLOUD: &str = "http://127.0.0.1:8080";

const AFTER_HELP: &str = "\
Every value a command asks for can also be given as a flag, so that scripts can run it without \
a terminal; when a needed value is missing and stdin is not a terminal, the command fails \
instead of waiting.

Exit status: 0 success, 1 failure, 2 usage error or missing value, 3 not logged in or session \
expired (run `rekey login`), 4 cannot reach the cloud.";

/// `rekey`: recover a recorder's lost admin password through your cloud account — the phone
/// app's functions in a terminal.
#[derive(Debug, Parser)]
#[command(name = "rekey", version, after_help = AFTER_HELP, propagate_version = true)]
pub struct Cli {
    /// The cloud's address [default: the cloud you logged in to, else http://127.0.0.1:8080].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "REKEY_CLOUD",
        value_name = "URL"
    )]
    pub cloud: Option<String>,
    /// Print results as JSON on stdout (and errors as {"error","message"}); no spinner.
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,
    /// Where the session is kept [default: the user's config directory + /rekey].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        env = "REKEY_CONFIG_DIR",
        value_name = "DIR"
    )]
    pub config_dir: Option<PathBuf>,
    /// Language of the messages, rekey's own and the cloud's [default: REKEY_LANG, else from
    /// LC_ALL, LC_MESSAGES or LANG, else English].
    #[arg(
        long,
        global = true,
        help_heading = "Global options",
        value_enum,
        value_name = "LANG"
    )]
    pub lang: Option<LangArg>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// A language rekey speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    /// Japanese.
    Ja,
    /// English.
    En,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a cloud account (region, e-mail, verification code, password, agreement).
    Signup(SignupArgs),
    /// Log in with your username or e-mail address.
    Login(LoginArgs),
    /// Log out and forget the session on this computer.
    Logout,
    /// Show or change your account (username, e-mail address, password).
    Account(AccountArgs),
    /// List, add, rename or remove your recorders.
    Devices(DevicesArgs),
    /// Get a temporary password e-mailed, from a photo of the recorder's recovery QR code.
    Recover(RecoverArgs),
    /// Get a temporary password for a recorder, valid between two dates.
    Retrieve(RetrieveArgs),
    /// Hand recorders over to another account (list open hand-overs, send, cancel).
    Transfer(TransferArgs),
    /// Accept all or some of the recorders another account hands over to you, or decline.
    Accept(AcceptArgs),
}

/// `rekey signup`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without a terminal, sign up in two steps:
  rekey signup --region jp --email you@example.com --send-code-only
  printf '%s\\n' \"$PASSWORD\" | rekey signup --email you@example.com --code 123456 --password-stdin --accept-agreement")]
pub struct SignupArgs {
    /// Region code (see the list offered when it is left out), e.g. `jp`.
    #[arg(long, value_name = "CODE")]
    pub region: Option<String>,
    /// Your e-mail address; the verification code is sent there.
    #[arg(long, value_name = "EMAIL")]
    pub email: Option<String>,
    /// The verification code from the e-mail (after `--send-code-only`).
    #[arg(long, value_name = "CODE", conflicts_with = "send_code_only")]
    pub code: Option<String>,
    /// Only e-mail the verification code, then stop.
    #[arg(long)]
    pub send_code_only: bool,
    /// Read the new password from the first line of stdin.
    #[arg(long, conflicts_with = "send_code_only")]
    pub password_stdin: bool,
    /// Accept the service agreement without asking.
    #[arg(long, conflicts_with = "send_code_only")]
    pub accept_agreement: bool,
}

/// `rekey login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Your username or e-mail address.
    #[arg(long, value_name = "USER_OR_EMAIL")]
    pub login: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `rekey account`.
#[derive(Debug, Args)]
pub struct AccountArgs {
    /// What to change; without one, the account is shown.
    #[command(subcommand)]
    pub action: Option<AccountAction>,
}

/// `rekey account …`.
#[derive(Debug, Subcommand)]
pub enum AccountAction {
    /// Show the account (the default).
    Show,
    /// Change your username (your login ID).
    SetUsername {
        /// The new username.
        name: String,
    },
    /// Change your e-mail address (a verification code is sent to the new address).
    SetEmail(SetEmailArgs),
    /// Change your password.
    SetPassword {
        /// Read two lines from stdin: the current password, then the new one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Save your account's data (account, devices, activity) as JSON.
    Export {
        /// Write it to this file instead of standard output.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Delete your account: its recorders are released and its data is deleted after the
    /// cloud's retention. Asks for the password, then for a code e-mailed to you.
    Delete(DeleteArgs),
}

/// `rekey account delete`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without a terminal, delete in two steps:
  printf '%s\\n' \"$PASSWORD\" | rekey account delete --password-stdin --send-code-only
  rekey account delete --code 123456 --yes")]
pub struct DeleteArgs {
    /// The verification code e-mailed to your account's address (after `--send-code-only`).
    #[arg(long, value_name = "CODE", conflicts_with_all = ["send_code_only", "password_stdin"])]
    pub code: Option<String>,
    /// Only e-mail the verification code, then stop.
    #[arg(long)]
    pub send_code_only: bool,
    /// Read the current password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

/// `rekey account set-email`.
#[derive(Debug, Args)]
pub struct SetEmailArgs {
    /// The new e-mail address.
    pub email: String,
    /// The verification code e-mailed to the new address (after `--send-code-only`).
    #[arg(long, value_name = "CODE", conflicts_with = "send_code_only")]
    pub code: Option<String>,
    /// Only e-mail the verification code, then stop.
    #[arg(long)]
    pub send_code_only: bool,
    /// Read the current password (asked before the code is sent) from standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

/// `rekey devices`.
#[derive(Debug, Args)]
pub struct DevicesArgs {
    /// What to do; without one, the devices are listed.
    #[command(subcommand)]
    pub action: Option<DevicesAction>,
}

/// `rekey devices …`.
#[derive(Debug, Subcommand)]
pub enum DevicesAction {
    /// List your recorders (the default).
    List,
    /// Register a recorder to your account by its register code or its QR code. A recorder
    /// belongs to one account only.
    #[command(group(ArgGroup::new("source").required(true).args(["code", "qr", "qr_url"])))]
    Add {
        /// The register code shown on the recorder's "Network › Cloud" page, e.g.
        /// `ABCD-EFGH-JKMN`.
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
        /// A photo or screenshot of the recorder's QR code (PNG or JPEG); decoded on this computer.
        #[arg(long, value_name = "IMAGE")]
        qr: Option<PathBuf>,
        /// The text (URL) of the recorder's QR code, if you already have it.
        #[arg(long, value_name = "URL")]
        qr_url: Option<String>,
        /// A name for the recorder, e.g. `Shop entrance`.
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Rename a recorder.
    Rename {
        /// The recorder: its serial number or its name.
        device: String,
        /// The new name.
        name: String,
    },
    /// Remove a recorder from your account.
    Remove {
        /// The recorder: its serial number or its name.
        device: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
    },
}

/// `rekey recover`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["qr", "qr_url"])))]
pub struct RecoverArgs {
    /// A photo or screenshot of the QR code on the recorder's "Password recovery" screen (PNG or
    /// JPEG); decoded on this computer, only its text is sent.
    #[arg(long, value_name = "IMAGE")]
    pub qr: Option<PathBuf>,
    /// The text (URL) of the recovery QR code, if you already have it.
    #[arg(long, value_name = "URL")]
    pub qr_url: Option<String>,
    /// Send the temporary password without asking for confirmation.
    #[arg(long)]
    pub yes: bool,
}

/// `rekey retrieve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without a terminal, retrieve in two steps:
  rekey retrieve SERIAL --from 2026-11-02 --to 2026-11-03 --send-code-only
  rekey retrieve SERIAL --from 2026-11-02 --to 2026-11-03 --code 123456")]
pub struct RetrieveArgs {
    /// The recorder: its serial number or its name.
    pub device: String,
    /// First date (recorder's calendar) the temporary password works, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// Last date the temporary password works, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    pub to: String,
    /// The verification code e-mailed to your account's address (after `--send-code-only`).
    #[arg(long, value_name = "CODE", conflicts_with = "send_code_only")]
    pub code: Option<String>,
    /// Only e-mail the verification code, then stop.
    #[arg(long)]
    pub send_code_only: bool,
}

/// `rekey transfer`.
#[derive(Debug, Args)]
#[command(after_help = "\
Hand three recorders over to a customer (nothing changes until the customer accepts):
  rekey transfer send NVR0001 NVR0002 \"Shop entrance\" --to customer@example.com
The customer then runs `rekey transfer list` and `rekey accept ID`.")]
pub struct TransferArgs {
    /// What to do; without one, the open hand-overs are listed.
    #[command(subcommand)]
    pub action: Option<TransferAction>,
}

/// `rekey transfer …`.
#[derive(Debug, Subcommand)]
pub enum TransferAction {
    /// List the open hand-overs you sent or may accept (the default).
    List,
    /// Offer recorders to the account of an e-mail address; your password is asked again.
    Send {
        /// The recorders: serial numbers or names.
        #[arg(required = true, value_name = "DEVICE")]
        devices: Vec<String>,
        /// The e-mail address of the account that receives them.
        #[arg(long, value_name = "EMAIL")]
        to: String,
        /// Read your password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Cancel a hand-over you sent; nothing moves.
    Cancel {
        /// The hand-over's id (see `rekey transfer list`).
        id: String,
    },
}

/// `rekey accept`.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The hand-over's id (see `rekey transfer list`).
    pub id: String,
    /// Accept only these recorders (serial numbers or names; repeat the flag); the others stay
    /// with the sender. Without it, all are accepted.
    #[arg(long = "device", value_name = "DEVICE", conflicts_with = "decline")]
    pub devices: Vec<String>,
    /// Decline all the recorders instead.
    #[arg(long)]
    pub decline: bool,
}
