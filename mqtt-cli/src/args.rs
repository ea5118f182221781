//! The command line, in the options of `mosquitto_pub` and `mosquitto_sub`.
//!
//! The doc comments of the fields are the help texts `--help` prints: plain text.
#![expect(
    clippy::doc_markdown,
    reason = "the doc comments are the help texts, where backticks would show"
)]
#![expect(
    clippy::struct_excessive_bools,
    reason = "each flag of the command line is a bool"
)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// MQTT 3.1, 3.1.1 and 5.0 from the command line.
#[derive(Debug, Parser)]
#[command(name = "mqtt", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

impl Cli {
    /// The command line of this process; exits with a usage message when it is wrong.
    pub(crate) fn read() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        // Each -D with its own values: three, or four for a user property.
        let occurrences = |sub: &clap::ArgMatches| -> Vec<Vec<String>> {
            sub.get_occurrences::<String>("property")
                .map(|o| o.map(|values| values.cloned().collect()).collect())
                .unwrap_or_default()
        };
        if let Some((_, sub)) = matches.subcommand() {
            let common = match &mut cli.command {
                Command::Pub(args) => &mut args.common,
                Command::Sub(args) => &mut args.common,
            };
            common.properties = occurrences(sub);
        }
        cli
    }
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Publishes messages, as mosquitto_pub does.
    #[command(disable_help_flag = true)]
    Pub(PubArgs),
    /// Subscribes and prints what arrives, as mosquitto_sub does.
    #[command(disable_help_flag = true)]
    Sub(SubArgs),
}

/// What both commands take: the broker, the session, TLS, properties.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The broker's host (`-h`, as mosquitto's tools; help is `--help`).
    #[arg(short = 'h', long, default_value = "localhost")]
    pub(crate) host: String,
    /// The broker's port; 1883, or 8883 with TLS.
    #[arg(short = 'p', long)]
    pub(crate) port: Option<u16>,
    /// A URL, mqtt(s)://user:password@host:port/topic, all but the host optional: the broker,
    /// the credentials and the topic at once.
    #[arg(short = 'L', long)]
    pub(crate) url: Option<String>,
    /// The client identifier; a generated one by default.
    #[arg(short = 'i', long = "id")]
    pub(crate) id: Option<String>,
    /// The user name.
    #[arg(short = 'u', long)]
    pub(crate) username: Option<String>,
    /// The password.
    #[arg(short = 'P', long = "pw")]
    pub(crate) password: Option<String>,
    /// Keep alive, in seconds.
    #[arg(short = 'k', long, default_value_t = 60)]
    pub(crate) keepalive: u16,
    /// The MQTT version: 5, 311 or 31 (also mqttv5, mqttv311, mqttv31).
    #[arg(short = 'V', long = "protocol-version", default_value = "311")]
    pub(crate) version: String,
    /// The QoS of the messages (0, 1, 2).
    #[arg(short = 'q', long, default_value_t = 0)]
    pub(crate) qos: u8,
    /// Keep the session when the client disconnects (Clean Session / Clean Start 0).
    #[arg(short = 'c', long = "disable-clean-session")]
    pub(crate) keep_session: bool,
    /// MQTT 5.0 Session Expiry Interval, in seconds.
    #[arg(short = 'x', long = "session-expiry-interval")]
    pub(crate) session_expiry: Option<u32>,
    /// A CA certificate file (PEM): connect with TLS, trusting it.
    #[arg(long)]
    pub(crate) cafile: Option<PathBuf>,
    /// A client certificate file (PEM), with `--key`.
    #[arg(long)]
    pub(crate) cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long)]
    pub(crate) key: Option<PathBuf>,
    /// A proxy to reach the broker through: http://user:password@host:port (CONNECT) or
    /// socks5://user:password@host:port, credentials and port optional. Without it, the
    /// environment's, as curl reads it (`HTTPS_PROXY` for TLS, `ALL_PROXY`, `NO_PROXY`);
    /// `--proxy none` for none.
    #[arg(long)]
    pub(crate) proxy: Option<String>,
    /// MQTT 5.0 properties: `-D COMMAND NAME VALUE` (`-D COMMAND user-property KEY VALUE`);
    /// COMMAND is connect, publish or subscribe.
    #[arg(short = 'D', long = "property", num_args = 3..=4, action = clap::ArgAction::Append,
          value_names = ["COMMAND", "NAME", "VALUE"])]
    pub(crate) property: Vec<String>,
    /// The `-D` given, each with its values ([`Cli::read`] fills it in).
    #[arg(skip)]
    pub(crate) properties: Vec<Vec<String>>,
    /// The will's topic.
    #[arg(long = "will-topic")]
    pub(crate) will_topic: Option<String>,
    /// The will's payload.
    #[arg(long = "will-payload", default_value = "")]
    pub(crate) will_payload: String,
    /// The will's QoS.
    #[arg(long = "will-qos", default_value_t = 0)]
    pub(crate) will_qos: u8,
    /// Whether the will is retained.
    #[arg(long = "will-retain")]
    pub(crate) will_retain: bool,
    /// Every packet in and out on standard error.
    #[arg(short = 'd', long)]
    pub(crate) debug: bool,
    /// This help.
    #[arg(long, action = clap::ArgAction::Help)]
    pub(crate) help: Option<bool>,
}

/// `mqtt pub`.
#[derive(Debug, Args)]
pub(crate) struct PubArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// The topic.
    #[arg(short = 't', long)]
    pub(crate) topic: Option<String>,
    /// The message.
    #[arg(short = 'm', long, group = "source")]
    pub(crate) message: Option<String>,
    /// The whole file as the message.
    #[arg(short = 'f', long, group = "source")]
    pub(crate) file: Option<PathBuf>,
    /// Each line of standard input as a message.
    #[arg(short = 'l', long = "stdin-line", group = "source")]
    pub(crate) lines: bool,
    /// The whole of standard input as the message.
    #[arg(short = 's', long = "stdin-file", group = "source")]
    pub(crate) stdin: bool,
    /// An empty message.
    #[arg(short = 'n', long = "null-message", group = "source")]
    pub(crate) null: bool,
    /// Retain the message.
    #[arg(short = 'r', long)]
    pub(crate) retain: bool,
    /// Publish the message this many times.
    #[arg(long, default_value_t = 1)]
    pub(crate) repeat: u32,
    /// Seconds between repeats.
    #[arg(long = "repeat-delay", default_value_t = 0.0)]
    pub(crate) repeat_delay: f64,
}

/// `mqtt sub`.
#[derive(Debug, Args)]
pub(crate) struct SubArgs {
    #[command(flatten)]
    pub(crate) common: Common,
    /// A topic filter; more than one may be given.
    #[arg(short = 't', long = "topic")]
    pub(crate) filters: Vec<String>,
    /// Do not print messages whose topic matches this filter; more than one may be given.
    #[arg(short = 'T', long = "filter-out")]
    pub(crate) filter_out: Vec<String>,
    /// Print the topic before the payload.
    #[arg(short = 'v', long)]
    pub(crate) verbose: bool,
    /// Exit after this many messages.
    #[arg(short = 'C', long)]
    pub(crate) count: Option<u64>,
    /// Exit after this many seconds without a message (exit status 27).
    #[arg(short = 'W', long)]
    pub(crate) timeout: Option<f64>,
    /// No newline after each message.
    #[arg(short = 'N')]
    pub(crate) no_newline: bool,
    /// Do not print retained messages (stale ones).
    #[arg(short = 'R')]
    pub(crate) no_retained: bool,
    /// Print only retained messages; exit at the first that is not.
    #[arg(long = "retained-only")]
    pub(crate) retained_only: bool,
    /// Exit once the subscriptions are acknowledged.
    #[arg(short = 'E')]
    pub(crate) exit_after_subscribe: bool,
    /// The output format: %t topic, %p payload, %x payload in hex, %l length, %q QoS, %r
    /// retain, %m packet identifier; MQTT 5.0: %C content type, %D correlation data, %E
    /// expiry, %F payload format, %P user properties, %R response topic, %S subscription
    /// identifiers; %% a percent sign, \n and \t.
    #[arg(short = 'F', long)]
    pub(crate) format: Option<String>,
}
