//! A small map keyed by packet identifier that allocates only when it grows past its largest
//! size so far.

use alloc::vec::Vec;

/// Entries sorted by identifier in one vector: lookups by binary search, inserts and removals
/// shift the entries after them. Sized for what a client keeps per identifier (inbound QoS 2
/// exchanges, a few to a few hundred at once), where a tree would allocate and free a node every
/// few operations.
#[derive(Debug)]
pub(crate) struct IdMap<V> {
    entries: Vec<(u16, V)>,
}

impl<V> IdMap<V> {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    fn find(&self, id: u16) -> Result<usize, usize> {
        self.entries.binary_search_by_key(&id, |(key, _)| *key)
    }

    pub(crate) fn contains_key(&self, id: u16) -> bool {
        self.find(id).is_ok()
    }

    pub(crate) fn get(&self, id: u16) -> Option<&V> {
        self.find(id)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|(_, value)| value)
    }

    pub(crate) fn get_mut(&mut self, id: u16) -> Option<&mut V> {
        let i = self.find(id).ok()?;
        self.entries.get_mut(i).map(|(_, value)| value)
    }

    /// Inserts or replaces the value for `id`.
    pub(crate) fn insert(&mut self, id: u16, value: V) {
        match self.find(id) {
            Ok(i) => {
                if let Some(entry) = self.entries.get_mut(i) {
                    entry.1 = value;
                }
            }
            Err(i) => self.entries.insert(i, (id, value)),
        }
    }

    pub(crate) fn remove(&mut self, id: u16) -> Option<V> {
        self.find(id).ok().map(|i| self.entries.remove(i).1)
    }

    /// The values, in identifier order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// The entries, in identifier order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u16, &V)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }

    /// Takes every value out, in identifier order.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = V> + '_ {
        self.entries.drain(..).map(|(_, v)| v)
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::IdMap;

    #[test]
    fn behaves_as_a_map() {
        let mut map = IdMap::new();
        for id in [5_u16, 1, 9, 3] {
            map.insert(id, id * 10);
        }
        map.insert(9, 99);
        assert_eq!(map.len(), 4);
        assert_eq!(map.get(9), Some(&99));
        assert!(map.contains_key(1) && !map.contains_key(2));
        if let Some(v) = map.get_mut(3) {
            *v = 33;
        }
        assert_eq!(map.remove(3), Some(33));
        assert_eq!(map.remove(3), None);
        assert_eq!(
            map.entries
                .iter()
                .map(|(k, _)| *k)
                .collect::<alloc::vec::Vec<_>>(),
            [1, 5, 9]
        );
        map.clear();
        assert_eq!(map.len(), 0);
    }
}
