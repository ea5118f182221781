//! A session against Mosquitto recorded to a file, reconnect included, replays into the sans-IO
//! core byte for byte; the password never reaches the file; files that are not recordings, of
//! a newer format, corrupt in the middle or cut short say so.

mod common;

use core::time::Duration;

use common::{Mosquitto, within};
use mqtt_driver::record::{Recording, RecordingError};
use mqtt_proto::{ProtocolVersion, QoS};
use mqtt_sansio::{Backoff, Entry};
use mqtt_tokio::{ConnectionEvent, Options, connect};

const PASSWORD: &str = "recorded-but-never-written";

async fn record_a_session(version: ProtocolVersion, file: &std::path::Path) {
    let mut broker = Mosquitto::with_password("recorder", PASSWORD);
    let mut options = Options::new(&broker.url(), "recorded").unwrap();
    options.config.version = version;
    options.config.username = Some(mqtt_proto::MqttString::from_static("recorder"));
    options.config.password = Some(bytes::Bytes::from_static(PASSWORD.as_bytes()));
    options.config.clean_start = false;
    options.config.session_expiry_interval = Some(3600);
    options.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    options.record = Some(file.to_owned());
    let (client, mut messages, mut events) = within("connect", connect(options)).await.unwrap();
    client.subscribe("rec/#", QoS::ExactlyOnce).await.unwrap();
    for qos in [QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce] {
        client
            .publish("rec/x", qos, false, format!("at {qos:?}"))
            .await
            .unwrap();
        within("message", messages.recv()).await.unwrap();
    }
    broker.stop();
    broker.start_again();
    loop {
        let event = within("back", events.recv()).await.unwrap();
        if event.connection >= 2 && matches!(event.item, ConnectionEvent::Connected { .. }) {
            break;
        }
    }
    client
        .publish("rec/y", QoS::AtLeastOnce, false, "after")
        .await
        .unwrap();
    within("message", messages.recv()).await.unwrap();
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_recorded_session_replays_byte_for_byte() {
    for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
        let dir = tempdir();
        let file = dir.join("session.mqttrec");
        record_a_session(version, &file).await;

        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "the password reached the file"
        );
        let recording = Recording::open(&file).unwrap();
        assert!(!recording.torn_tail);
        assert_eq!(recording.config.version, version);
        let opens = recording
            .entries
            .iter()
            .filter(|e| matches!(e, Entry::TransportOpen(_)))
            .count();
        assert!(opens >= 2, "the reconnect is in the recording");
        let replayed = recording
            .replay()
            .unwrap_or_else(|d| panic!("{version:?}: {d:#?}"));
        assert_eq!(replayed.entries, recording.entries.len());
        assert!(
            replayed.bytes_out > 100 && replayed.bytes_in > 50,
            "{replayed:?}"
        );
        assert!(replayed.events >= 8, "{replayed:?}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[tokio::test]
async fn bad_files_say_what_is_wrong() {
    let dir = tempdir();
    let file = dir.join("session.mqttrec");
    record_a_session(ProtocolVersion::V5, &file).await;
    let good = std::fs::read(&file).unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };

    let other = write("other", b"PK\x03\x04 a zip file");
    assert!(matches!(
        Recording::open(&other),
        Err(RecordingError::NotARecording { .. })
    ));
    let mut newer = good.clone();
    newer[7] = 9;
    let newer = write("newer", &newer);
    let error = Recording::open(&newer).unwrap_err();
    assert!(
        matches!(error, RecordingError::NewerFormat { found: 9, .. }),
        "{error}"
    );
    assert!(
        error.to_string().contains("newer") || error.to_string().contains("format 9"),
        "{error}"
    );

    // Cut short: the records before the cut.
    let cut = write("cut", &good[..good.len() - 3]);
    let recording = Recording::open(&cut).unwrap();
    assert!(recording.torn_tail);

    // A record in the middle whose kind is unknown: an error naming the file and the offset.
    let mut corrupt = good.clone();
    let second = 16 + 5 + u32::from_be_bytes(good[17..21].try_into().unwrap()) as usize;
    corrupt[second] = 0x7f;
    let corrupt = write("corrupt", &corrupt);
    let error = Recording::open(&corrupt).unwrap_err();
    let RecordingError::Corrupt {
        offset, ref path, ..
    } = error
    else {
        panic!("{error}")
    };
    assert_eq!(offset, second as u64);
    assert!(path.ends_with("corrupt"));
    assert!(error.to_string().contains("0x7f"), "{error}");

    // A file that cannot be created is a connect error.
    let mut options = Options::new("mqtt://127.0.0.1:1", "x").unwrap();
    options.record = Some(dir.join("no/such/dir/file"));
    let error = connect(options).await.unwrap_err();
    assert!(
        matches!(
            error,
            mqtt_tokio::Error::Recording(RecordingError::Io { .. })
        ),
        "{error}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "mqtt-record-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// A process that takes its session back from a store records the session it restored: the
// recording replays byte for byte, the resent messages included.
#[tokio::test]
async fn a_restarted_process_with_a_store_replays() {
    let dir = tempdir();
    let mut broker = Mosquitto::start();
    let mut options = Options::new(&broker.url(), "stored-and-recorded").unwrap();
    options.config.clean_start = false;
    options.policy.backoff = Backoff::new(Duration::from_millis(50), 2, Duration::from_millis(400));
    options.store = Some(mqtt_tokio::StoreOptions::file(dir.join("s.session")));
    let (client, _messages, _events) = within("connect", connect(options.clone())).await.unwrap();
    broker.stop();
    for n in 0..3_u8 {
        let message = mqtt_sansio::Message::new(
            mqtt_proto::TopicName::new("rec/stored").unwrap(),
            QoS::AtLeastOnce,
            vec![n],
        );
        client.send(message).await.unwrap();
    }
    // Kept once the figures say the session has them (sent or waiting).
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while client.stats().pending + client.stats().inflight_out < 3 {
        assert!(std::time::Instant::now() < deadline, "{:?}", client.stats());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    client.abort().await.unwrap();
    drop(client);

    broker.start_again();
    options.record = Some(dir.join("restarted.mqttrec"));
    let (client, _messages, mut events) = within("reconnect", connect(options)).await.unwrap();
    let mut done = 0;
    while done < 3 {
        let event = within("outcomes", events.recv()).await.unwrap();
        if matches!(event.item, ConnectionEvent::RestoredPublished { .. }) {
            done += 1;
        }
    }
    within("disconnect", client.disconnect()).await.unwrap();
    let recording = Recording::open(dir.join("restarted.mqttrec")).unwrap();
    assert!(
        matches!(&recording.entries[0], Entry::Restore(s) if s.messages.len() == 3),
        "{:?}",
        recording.entries.first()
    );
    let replayed = recording.replay().unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(replayed.entries, recording.entries.len());
    std::fs::remove_dir_all(dir).unwrap();
}

// A session that fell back from 5.0 to 3.1.1 (rumqttd speaks only 3.1.1) records the change of
// version, and replays byte for byte across it.
#[tokio::test]
async fn a_version_fallback_is_recorded_and_replays() {
    let dir = tempdir();
    let port = mqtt_suite::rumqttd::v4_broker();
    let mut options = Options::new(&format!("mqtt://127.0.0.1:{port}"), "fallen-back").unwrap();
    options.config.version = ProtocolVersion::V5;
    options.policy.version_fallback = true;
    options.record = Some(dir.join("fallback.mqttrec"));
    let (client, mut messages, _events) = within("connect", connect(options)).await.unwrap();
    client.subscribe("rec/v", QoS::AtLeastOnce).await.unwrap();
    client
        .publish("rec/v", QoS::AtLeastOnce, false, "in 3.1.1")
        .await
        .unwrap();
    within("message", messages.recv()).await.unwrap();
    within("disconnect", client.disconnect()).await.unwrap();
    let recording = Recording::open(dir.join("fallback.mqttrec")).unwrap();
    assert_eq!(recording.config.version, ProtocolVersion::V5);
    assert!(
        recording
            .entries
            .iter()
            .any(|e| matches!(e, Entry::Version(ProtocolVersion::V3_1_1))),
        "the fallback is in the recording"
    );
    let replayed = recording.replay().unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(replayed.entries, recording.entries.len());
    std::fs::remove_dir_all(dir).unwrap();
}
