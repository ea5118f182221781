//! `mqtt sub`: subscribes to the filters and prints each message, until a count, a timeout or
//! the first non-retained message (`--retained-only`) ends it.

use std::io::Write;
use std::time::Duration;

use mqtt_blocking::connect;
use mqtt_proto::{Subscription, TopicFilter};

use crate::args::SubArgs;
use crate::connect::setup;
use crate::format::render;

/// How `mqtt sub` ended well.
pub(crate) enum Ended {
    /// The count was reached, the subscription made (`-E`), the retained messages printed, or
    /// the client stopped.
    Done,
    /// No message within `-W` seconds.
    TimedOut,
}

/// Subscribes and prints what arrives; the error to print otherwise.
pub(crate) fn run(args: &SubArgs) -> Result<Ended, String> {
    let setup = setup(
        &args.common,
        &format!("mqtt-sub-{}", std::process::id()),
        true,
    )?;
    let mut filters = args.filters.clone();
    filters.extend(setup.url_topic.clone());
    if filters.is_empty() {
        return Err("a topic filter: -t FILTER (or a -L URL with one)".to_owned());
    }
    let subscriptions = filters
        .iter()
        .map(|f| {
            TopicFilter::new(f.as_str())
                .map(|filter| Subscription::new(filter, setup.qos))
                .map_err(|e| format!("-t {f}: {e}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter_out = args
        .filter_out
        .iter()
        .map(|f| TopicFilter::new(f.as_str()).map_err(|e| format!("-T {f}: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (client, messages, _events) = connect(setup.options).map_err(|e| e.to_string())?;
    let acked = client
        .subscribe_many(subscriptions, setup.properties.subscribe.clone())
        .map_err(|e| e.to_string())?;
    if let Some(code) = acked.reason_codes.iter().find(|c| c.is_error()) {
        return Err(format!("the broker refused the subscription: {code}"));
    }
    if args.exit_after_subscribe {
        return client
            .disconnect()
            .map(|()| Ended::Done)
            .map_err(|e| e.to_string());
    }
    let timeout = args.timeout.map(|s| Duration::from_secs_f64(s.max(0.0)));
    let mut printed = 0;
    let mut out = std::io::stdout().lock();
    let ended = loop {
        let next = match timeout {
            Some(t) => messages.recv_timeout(t),
            None => messages.recv(),
        };
        let Some(message) = next else {
            break if timeout.is_some() {
                Ended::TimedOut
            } else {
                Ended::Done
            };
        };
        if args.retained_only && !message.retain {
            break Ended::Done;
        }
        if (args.no_retained && message.retain)
            || filter_out.iter().any(|f| f.matches(message.topic()))
        {
            continue;
        }
        let mut line = match &args.format {
            Some(format) => render(format, &message),
            None if args.verbose => {
                let mut line = format!("{} ", message.topic()).into_bytes();
                line.extend_from_slice(message.payload());
                line
            }
            None => message.payload().to_vec(),
        };
        if !args.no_newline && args.format.is_none() {
            line.push(b'\n');
        }
        out.write_all(&line)
            .and_then(|()| out.flush())
            .map_err(|e| format!("standard output: {e}"))?;
        printed += 1;
        if args.count.is_some_and(|count| printed >= count) {
            break Ended::Done;
        }
    };
    // A timeout says so, and ends the client as a count does.
    client.disconnect().map_err(|e| e.to_string())?;
    Ok(ended)
}
