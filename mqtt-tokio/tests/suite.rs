//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the tokio client (each call
//! blocks on a runtime of its own).

mqtt_suite::scenarios!(mqtt_suite::adapters::Tokio);
