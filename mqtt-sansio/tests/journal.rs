//! The journal of a session replays into a new client with the same outputs, byte for byte:
//! a session against the fake broker with messages at every QoS both ways, a lost connection
//! and a resumed session; and a changed input shows as a divergence.

use bytes::{Bytes, BytesMut};
use core::time::Duration;
use mqtt_proto::{
    MqttString, ProtocolVersion, QoS, SubscribeProperties, Subscription, TopicFilter, TopicName,
};
use mqtt_sansio::{Chunks, Client, Config, Entry, Instant, Message, replay};
use mqtt_test::{BrokerConfig, FakeBroker};

fn at(ms: u64) -> Instant {
    Instant::ZERO + Duration::from_millis(ms)
}

/// Moves bytes both ways until nothing moves, as a driver would; the clock advances 1 ms a step.
fn pump(client: &mut Client, broker: &mut FakeBroker, clock: &mut u64) {
    loop {
        *clock += 1;
        let now = at(*clock);
        let mut moved = false;
        let mut chunks = Chunks::new();
        while client.poll_transmit_chunks(now, &mut chunks) {
            let bytes: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            chunks.clear();
            broker.handle_read(&bytes);
            moved = true;
        }
        client.handle_write_progress(now);
        while let Some(bytes) = broker.poll_transmit() {
            // Half through the copying path, half through the caller's buffer.
            if bytes.len() % 2 == 0 {
                client.handle_read(now, &bytes);
            } else {
                let mut buf = BytesMut::from(&bytes[..]);
                client.handle_read_buf(now, &mut buf);
            }
            moved = true;
        }
        client.handle_timeout(now);
        while client.poll_event().is_some() {
            moved = true;
        }
        if !moved {
            break;
        }
    }
}

fn recorded(version: ProtocolVersion) -> (Config, Vec<Entry>) {
    let config = Config::new(MqttString::from_static("journaled"))
        .with_version(version)
        .with_clean_start(false)
        .with_session_expiry(Duration::from_secs(3600));
    let mut client = Client::new(config.clone());
    client.set_journal(true);
    let mut broker = FakeBroker::new(BrokerConfig::new());
    let mut clock = 0;
    client.handle_transport_open(at(clock));
    pump(&mut client, &mut broker, &mut clock);
    let all = Subscription::new(TopicFilter::new("j/#").unwrap(), QoS::ExactlyOnce);
    client
        .subscribe(vec![all], SubscribeProperties::default())
        .unwrap();
    for (n, qos) in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce]
        .into_iter()
        .enumerate()
    {
        let topic = TopicName::new(format!("j/{n}")).unwrap();
        client
            .publish(Message::new(topic, qos, Bytes::from(vec![7; 100 * n])))
            .unwrap();
    }
    pump(&mut client, &mut broker, &mut clock);
    // Messages in flight when the connection is lost; the session is resumed.
    broker.hold_acks(true);
    for n in 0..3 {
        let topic = TopicName::new("j/held").unwrap();
        client
            .publish(Message::new(topic, QoS::AtLeastOnce, format!("held {n}")))
            .unwrap();
    }
    pump(&mut client, &mut broker, &mut clock);
    broker.new_connection();
    client.handle_transport_closed(at(clock));
    broker.hold_acks(false);
    clock += 500;
    client.handle_transport_open(at(clock));
    pump(&mut client, &mut broker, &mut clock);
    // The keep alive pings once.
    clock += 61_000;
    client.handle_timeout(at(clock));
    pump(&mut client, &mut broker, &mut clock);
    client
        .disconnect(mqtt_proto::ReasonCode::SUCCESS, None)
        .unwrap();
    pump(&mut client, &mut broker, &mut clock);
    let journal: Vec<Entry> = std::iter::from_fn(|| client.poll_journal()).collect();
    (config, journal)
}

#[test]
fn a_session_replays_with_the_same_bytes_and_events() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let (config, journal) = recorded(version);
        let opens = journal
            .iter()
            .filter(|e| matches!(e, Entry::TransportOpen(_)))
            .count();
        assert_eq!(opens, 2);
        let resent = journal.iter().any(|e| match e {
            // A PUBLISH with DUP set (flags 0b1010 at QoS 1) went out on the second connection.
            Entry::Transmit(_, bytes) => bytes.windows(1).any(|w| w[0] == 0x3a),
            _ => false,
        });
        assert!(resent, "the held messages were sent again");
        let replayed = replay(config, &journal).unwrap();
        assert_eq!(replayed.entries, journal.len());
        assert_eq!(replayed.connections, 2);
        let recorded_out: usize = journal
            .iter()
            .map(|e| match e {
                Entry::Transmit(_, bytes) => bytes.len(),
                _ => 0,
            })
            .sum();
        assert_eq!(replayed.bytes_out, recorded_out);
        assert!(replayed.events >= 10, "{replayed:?}");
    }
}

#[test]
fn a_changed_input_is_a_divergence() {
    let (config, mut journal) = recorded(ProtocolVersion::V5);
    // The first CONNACK, refused instead: what follows differs.
    let index = journal
        .iter()
        .position(|e| matches!(e, Entry::Read(..) | Entry::ReadBuf(..)))
        .unwrap();
    let refused = Bytes::from_static(&[0x20, 0x03, 0x00, 0x87, 0x00]);
    journal[index] = match &journal[index] {
        Entry::Read(at, _) => Entry::Read(*at, refused),
        Entry::ReadBuf(at, _) => Entry::ReadBuf(*at, refused),
        _ => unreachable!(),
    };
    let divergence = replay(config.clone(), &journal).unwrap_err();
    assert!(divergence.entry > index, "{divergence:?}");

    // Another configuration: another CONNECT, at the first transmit.
    let (_, journal) = recorded(ProtocolVersion::V5);
    let other = config.with_keep_alive(Duration::from_secs(5));
    let divergence = replay(other, &journal).unwrap_err();
    assert!(
        matches!(divergence.recorded, Entry::Transmit(..)),
        "{divergence:?}"
    );
}

#[test]
fn what_the_replay_counts_and_events_as_a_file_keeps_them() {
    let (config, journal) = recorded(ProtocolVersion::V3_1_1);
    let read: usize = journal
        .iter()
        .map(|e| match e {
            Entry::Read(_, bytes) | Entry::ReadBuf(_, bytes) => bytes.len(),
            _ => 0,
        })
        .sum();
    let events = journal
        .iter()
        .filter(|e| matches!(e, Entry::Event(_)))
        .count();
    let replayed = replay(config.clone(), &journal).unwrap();
    assert_eq!((replayed.bytes_in, replayed.events), (read, events));

    // Events as a recording file keeps them: their Debug form.
    let as_text: Vec<Entry> = journal
        .iter()
        .map(|e| match e {
            Entry::Event(event) => Entry::EventDebug(format!("{event:?}")),
            other => other.clone(),
        })
        .collect();
    assert_eq!(replay(config.clone(), &as_text).unwrap().events, events);

    // An event other than the recorded one is a divergence, in either form.
    for mut changed in [journal.clone(), as_text] {
        let index = changed
            .iter()
            .rposition(|e| matches!(e, Entry::Event(_) | Entry::EventDebug(_)))
            .unwrap();
        changed[index] = match &changed[index] {
            Entry::Event(_) => Entry::Event(mqtt_sansio::Event::DuplicateSuppressed {
                packet_id: mqtt_proto::PacketId::new(9).unwrap(),
            }),
            _ => Entry::EventDebug("something else".to_owned()),
        };
        let divergence = replay(config.clone(), &changed).unwrap_err();
        assert_eq!(divergence.entry, index);
        assert!(divergence.replayed.is_some());
    }
}

#[test]
fn a_journal_turned_off_keeps_nothing_more() {
    let mut client = Client::new(Config::new(MqttString::from_static("off")));
    client.set_journal(true);
    client.handle_transport_open(at(0));
    client.set_journal(false);
    assert_eq!(client.poll_journal(), None, "what was kept goes with it");
    client.handle_transport_closed(at(1));
    assert_eq!(client.poll_journal(), None);
    client.set_journal(true);
    client.set_journal(true);
    client.handle_transport_open(at(2));
    assert_eq!(client.poll_journal(), Some(Entry::TransportOpen(at(2))));
}

#[test]
fn a_redacted_password_keeps_its_length() {
    assert_eq!(&mqtt_sansio::redacted(b"secret")[..], b"******");
    assert!(mqtt_sansio::redacted(b"").is_empty());
}
