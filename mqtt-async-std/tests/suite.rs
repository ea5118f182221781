//! The shared scenario suite (`mqtt-suite`) against Mosquitto, for the async-std/smol client,
//! under both executors: each call blocks on `async_std::task::block_on` in one module and on
//! `smol::block_on` in the other.

mod on_async_std {
    mqtt_suite::scenarios!(mqtt_suite::adapters::AsyncStd);
}

mod on_smol {
    mqtt_suite::scenarios!(mqtt_suite::adapters::Smol);
}
