//! Request/response against the scripted broker, byte by byte: the response topic under the
//! broker's Response Information, subscribed once; a refused subscription fails the requests;
//! a response after its timeout goes nowhere; a timeout on tokio's paused clock.

mod common;

use core::time::Duration;

use bytes::Bytes;
use common::fake::Served;
use common::within;
use mqtt_proto::{
    MqttString, Packet, ProtocolVersion, Publish, QoS, QosPid, ReasonCode, TopicName,
};
use mqtt_test::BrokerConfig;
use mqtt_tokio::{Error, Options, connect};

fn broker(response_information: Option<&'static str>) -> BrokerConfig {
    let mut config = BrokerConfig::new();
    config.connack_properties.response_information =
        response_information.map(MqttString::from_static);
    config
}

fn options(served: &Served) -> Options {
    let mut options = Options::new(&served.url(), "requester").unwrap();
    options.config.version = ProtocolVersion::V5;
    options.config.request_response_information = Some(true);
    options
}

/// The scripted broker answers the request on `topic` with `correlation`.
fn answer(served: &Served, topic: &TopicName, correlation: &Bytes, payload: &'static str) {
    let mut response = Publish::new(topic.clone(), QosPid::AtMostOnce, payload);
    response.properties.correlation_data = Some(correlation.clone());
    served.with(|b| b.publish_to_client(response));
}

/// The PUBLISH packets the client sent, waiting until there are `n`.
async fn requests(served: &Served, n: usize) -> Vec<Publish> {
    within("requests", async {
        loop {
            let sent: Vec<Publish> = served
                .received()
                .into_iter()
                .filter_map(|p| match p {
                    Packet::Publish(p) => Some(p),
                    _ => None,
                })
                .collect();
            if sent.len() >= n {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

#[tokio::test]
async fn responses_come_on_the_topic_the_broker_offered_and_find_their_requests() {
    let served = Served::start(broker(Some("resp/requester"))).await;
    let (client, mut messages, _events) =
        within("connect", connect(options(&served))).await.unwrap();
    let first = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .request("svc/a", "one", Duration::from_secs(10))
                .await
        }
    });
    let second = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .request("svc/b", "two", Duration::from_secs(10))
                .await
        }
    });
    let sent = requests(&served, 2).await;
    let topic = TopicName::new("resp/requester/replies").unwrap();
    for request in &sent {
        assert_eq!(request.properties.response_topic.as_ref(), Some(&topic));
        assert_eq!(request.qos(), QoS::AtLeastOnce);
    }
    let c0 = sent[0].properties.correlation_data.clone().unwrap();
    let c1 = sent[1].properties.correlation_data.clone().unwrap();
    assert_ne!(c0, c1, "each request its own correlation data");
    // One SUBSCRIBE to the response topic, before the first request.
    let received = served.received();
    let subscribes: Vec<_> = received
        .iter()
        .filter_map(|p| match p {
            Packet::Subscribe(s) => Some(s.subscriptions[0].filter.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(subscribes, ["resp/requester/replies"]);
    let subscribe_at = received
        .iter()
        .position(|p| matches!(p, Packet::Subscribe(_)));
    let publish_at = received
        .iter()
        .position(|p| matches!(p, Packet::Publish(_)));
    assert!(subscribe_at < publish_at);

    // Answered out of order: each response finds its request.
    let (a, b) = if sent[0].topic() == "svc/a" {
        (c0, c1)
    } else {
        (c1, c0)
    };
    answer(&served, &topic, &b, "for b");
    answer(&served, &topic, &a, "for a");
    let first = within("first", first).await.unwrap().unwrap();
    let second = within("second", second).await.unwrap().unwrap();
    assert_eq!(
        (first.payload(), second.payload()),
        (&b"for a"[..], &b"for b"[..])
    );
    assert_eq!(first.connection, 1);

    // An answer nobody waits for goes nowhere: not to the message stream.
    answer(&served, &topic, &a, "late");
    assert!(
        tokio::time::timeout(Duration::from_millis(200), messages.recv())
            .await
            .is_err()
    );
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test]
async fn a_refused_response_subscription_fails_the_request() {
    let mut config = broker(Some("resp/denied/"));
    config
        .subscribe_failures
        .insert("resp/denied/replies".to_owned(), ReasonCode::NOT_AUTHORIZED);
    let served = Served::start(config).await;
    let (client, _messages, _events) = within("connect", connect(options(&served))).await.unwrap();
    let outcome = within(
        "request",
        client.request("svc", "x", Duration::from_secs(30)),
    )
    .await;
    assert!(
        matches!(outcome, Err(Error::ResponseTopic(_))),
        "{outcome:?}"
    );
    within("disconnect", client.disconnect()).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_request_times_out_on_the_clock_of_the_runtime() {
    let served = Served::start(broker(None)).await;
    let (client, _messages, _events) = connect(options(&served)).await.unwrap();
    let started = tokio::time::Instant::now();
    let outcome = client.request("svc", "x", Duration::from_secs(90)).await;
    assert!(matches!(outcome, Err(Error::RequestTimeout(t)) if t == Duration::from_secs(90)));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(90) && waited < Duration::from_secs(91),
        "{waited:?}"
    );
    client.disconnect().await.unwrap();
}
