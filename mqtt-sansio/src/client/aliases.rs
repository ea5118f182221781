//! Topic aliases the session assigns itself (MQTT 5.0 section 3.3.2.3.4,
//! [`Config::auto_topic_alias`](crate::Config::auto_topic_alias)).
//!
//! The policy: a topic gets an alias the first time it goes out on a connection, and later
//! messages to it go with the alias alone. Aliases are taken in order from 1 up to the server's
//! Topic Alias Maximum, never above it ([MQTT-3.3.2-9]) and never 0 ([MQTT-3.3.2-8]); once all
//! are taken, the alias used least recently stands for the new topic (the PUBLISH that carries
//! the new topic with it changes the mapping). Every connection starts with none
//! ([MQTT-3.3.2-7]: mappings do not outlive their connection). Finding a topic's alias is a
//! lookup in an ordered map, and keeping the order of use a few index updates: no allocation per
//! message for a topic that has its alias.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::num::NonZeroU16;

use mqtt_proto::TopicName;

/// One alias: the topic it stands for (`None` once the application took the alias over), and
/// its neighbours in the order of use (0: none).
#[derive(Debug)]
struct Slot {
    topic: Option<TopicName>,
    newer: u16,
    older: u16,
}

/// The aliases of one connection, in the order of their last use.
#[derive(Debug, Default)]
pub(super) struct AutoAliases {
    by_topic: BTreeMap<TopicName, u16>,
    /// Index alias − 1.
    slots: Vec<Slot>,
    /// The alias used last and the one used least recently; 0 when there is none.
    newest: u16,
    oldest: u16,
}

impl AutoAliases {
    /// A new connection: no alias stands for anything.
    pub(super) fn clear(&mut self) {
        self.by_topic.clear();
        self.slots.clear();
        self.newest = 0;
        self.oldest = 0;
    }

    /// The alias for `topic` on a connection whose server takes aliases up to `maximum`, and
    /// whether it stands for `topic` already (the message may then go without its topic name);
    /// `None` when the server takes none.
    pub(super) fn assign(&mut self, topic: &TopicName, maximum: u16) -> Option<(NonZeroU16, bool)> {
        if maximum == 0 {
            return None;
        }
        if let Some(&alias) = self.by_topic.get(topic) {
            self.unlink(alias);
            self.link_newest(alias);
            return NonZeroU16::new(alias).map(|a| (a, true));
        }
        let alias = if self.slots.len() < usize::from(maximum) {
            self.slots.push(Slot {
                topic: None,
                newer: 0,
                older: 0,
            });
            u16::try_from(self.slots.len()).ok()?
        } else {
            let oldest = self.oldest;
            self.unlink(oldest);
            if let Some(old) = self.slot(oldest).and_then(|s| s.topic.take()) {
                self.by_topic.remove(&old);
            }
            oldest
        };
        if let Some(slot) = self.slot(alias) {
            slot.topic = Some(topic.clone());
        }
        self.by_topic.insert(topic.clone(), alias);
        self.link_newest(alias);
        NonZeroU16::new(alias).map(|a| (a, false))
    }

    /// The application set `alias` itself: it no longer stands for the topic it was assigned
    /// to, and it is the first to be assigned again.
    pub(super) fn forget(&mut self, alias: u16) {
        let Some(topic) = self.slot(alias).and_then(|s| s.topic.take()) else {
            return;
        };
        self.by_topic.remove(&topic);
        self.unlink(alias);
        self.link_oldest(alias);
    }

    fn slot(&mut self, alias: u16) -> Option<&mut Slot> {
        self.slots.get_mut(usize::from(alias).checked_sub(1)?)
    }

    /// Takes `alias` out of the order of use.
    fn unlink(&mut self, alias: u16) {
        let Some(slot) = self.slot(alias) else {
            return;
        };
        let (newer, older) = (slot.newer, slot.older);
        slot.newer = 0;
        slot.older = 0;
        if let Some(n) = self.slot(newer) {
            n.older = older;
        } else if self.newest == alias {
            self.newest = older;
        }
        if let Some(o) = self.slot(older) {
            o.newer = newer;
        } else if self.oldest == alias {
            self.oldest = newer;
        }
    }

    /// Puts `alias` at the newest end.
    fn link_newest(&mut self, alias: u16) {
        let previous = self.newest;
        if let Some(slot) = self.slot(alias) {
            slot.older = previous;
        }
        if let Some(p) = self.slot(previous) {
            p.newer = alias;
        }
        self.newest = alias;
        if self.oldest == 0 {
            self.oldest = alias;
        }
    }

    /// Puts `alias` at the oldest end.
    fn link_oldest(&mut self, alias: u16) {
        let previous = self.oldest;
        if let Some(slot) = self.slot(alias) {
            slot.newer = previous;
        }
        if let Some(p) = self.slot(previous) {
            p.older = alias;
        }
        self.oldest = alias;
        if self.newest == 0 {
            self.newest = alias;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AutoAliases;
    use mqtt_proto::TopicName;

    fn t(name: &'static str) -> TopicName {
        TopicName::from_static(name)
    }

    fn assign(aliases: &mut AutoAliases, name: &'static str, max: u16) -> (u16, bool) {
        let (alias, known) = aliases.assign(&t(name), max).unwrap();
        (alias.get(), known)
    }

    #[test]
    fn aliases_are_taken_in_order_then_the_least_recently_used_is_replaced() {
        let mut a = AutoAliases::default();
        assert_eq!(assign(&mut a, "a", 3), (1, false));
        assert_eq!(assign(&mut a, "b", 3), (2, false));
        assert_eq!(assign(&mut a, "a", 3), (1, true));
        assert_eq!(assign(&mut a, "c", 3), (3, false));
        // Full: b was used least recently.
        assert_eq!(assign(&mut a, "d", 3), (2, false));
        assert_eq!(assign(&mut a, "b", 3), (1, false), "a is the oldest now");
        assert_eq!(assign(&mut a, "c", 3), (3, true));
        assert_eq!(assign(&mut a, "a", 3), (2, false));
        assert!(a.assign(&t("a"), 0).is_none(), "a server that takes none");
    }

    #[test]
    fn one_alias_is_replaced_every_time() {
        let mut a = AutoAliases::default();
        for name in ["a", "b", "a", "c"] {
            assert_eq!(assign(&mut a, name, 1), (1, false));
        }
        assert_eq!(assign(&mut a, "c", 1), (1, true));
    }

    #[test]
    fn an_alias_the_application_takes_is_forgotten_and_reused_first() {
        let mut a = AutoAliases::default();
        for name in ["a", "b", "c"] {
            assign(&mut a, name, 3);
        }
        a.forget(3);
        assert_eq!(assign(&mut a, "c", 3), (3, false), "c lost its alias");
        a.forget(2);
        a.forget(9);
        assert_eq!(assign(&mut a, "d", 3), (2, false));
        assert_eq!(assign(&mut a, "a", 3), (1, true));
    }

    #[test]
    fn using_the_newest_again_keeps_the_order() {
        let mut a = AutoAliases::default();
        assert_eq!(assign(&mut a, "a", 2), (1, false));
        assert_eq!(assign(&mut a, "b", 2), (2, false));
        assert_eq!(assign(&mut a, "b", 2), (2, true));
        assert_eq!(assign(&mut a, "c", 2), (1, false), "a was the least recent");
        assert_eq!(assign(&mut a, "a", 2), (2, false), "then b");
    }

    #[test]
    fn the_only_alias_forgotten_is_still_in_the_order() {
        let mut a = AutoAliases::default();
        assign(&mut a, "a", 2);
        a.forget(1);
        assert_eq!(assign(&mut a, "b", 2), (2, false));
        assert_eq!(
            assign(&mut a, "c", 2),
            (1, false),
            "the forgotten one first"
        );
        assert_eq!(assign(&mut a, "d", 2), (2, false), "then b, not c");
    }

    #[test]
    fn a_new_connection_starts_with_none() {
        let mut a = AutoAliases::default();
        assign(&mut a, "a", 2);
        a.clear();
        assert_eq!(assign(&mut a, "a", 2), (1, false));
    }
}
