//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the blocking client.

mqtt_suite::scenarios!(mqtt_suite::adapters::Blocking);
